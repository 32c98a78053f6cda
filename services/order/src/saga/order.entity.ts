import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import { bigintAsNumber } from '@boxoffice/database/bigint-as-number';
import type { SagaStep } from './order-saga-types';

/** One buyer's order; its status and step are moved only by `OrderSaga`, and the saga's driver acts on the step. */
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

  @Column({ type: 'varchar', length: 16 })
  step!: SagaStep;

  /** When the saga's driver acts on the step again (re-sends, retries) unless it is answered first; null when DONE. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** The driver's attempts at the current step; its backoff doubles with each. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** When the order became CANCELLED: the order_cancelled message's `cancelledAt`, the same on every re-send. */
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  /** A cancelled order's hold released (or known gone) in inventory: one half of its compensation. */
  @Column({ name: 'hold_released_at', type: 'timestamptz', nullable: true })
  holdReleasedAt!: Date | null;

  /** payment_cancelled received: the other half. */
  @Column({ name: 'payment_settled_at', type: 'timestamptz', nullable: true })
  paymentSettledAt!: Date | null;

  @Column({ name: 'payment_settlement', type: 'varchar', length: 16, nullable: true })
  paymentSettlement!: PaymentCancelledMessage['outcome'] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
