import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import { bigintAsNumber } from '@boxoffice/database/bigint-as-number';

/** One buyer's order; its status is moved only by `OrderSaga`. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 64 })
  orderId!: string;

  @Index('orders_event')
  @Column({ name: 'event_id', type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  /** Minor units. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'payment_token', type: 'varchar', length: 64 })
  paymentToken!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ name: 'payment_id', type: 'varchar', length: 64, nullable: true })
  paymentId!: string | null;

  /** A change counter, bumped by every change; the status guard in each UPDATE is what serialises changes, not this column. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
