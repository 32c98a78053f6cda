import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PaymentStatus } from '@boxoffice/contracts/payment/payment.dto';
import { bigintAsNumber } from '@boxoffice/database/bigint-as-number';

/**
 * The one payment of an order (unique `orderId`): charged once, refunded at most once. `PENDING` is the claim taken
 * before the processor is called (not shown by GET /payments: the charge is not decided yet).
 */
@Entity({ name: 'payments' })
export class Payment {
  @PrimaryColumn({ name: 'payment_id', type: 'varchar', length: 64 })
  paymentId!: string;

  @Column({ name: 'order_id', type: 'varchar', length: 64, unique: true })
  orderId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: PaymentStatus | 'PENDING';

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  /** The processor's charge; null while PENDING, and for an order cancelled before it was charged. */
  @Column({ name: 'charge_reference', type: 'varchar', length: 64, nullable: true })
  chargeReference!: string | null;

  /** The `payment_result` message id, re-published unchanged when `order_created` comes again. */
  @Column({ name: 'result_message_id', type: 'varchar', length: 64 })
  resultMessageId!: string;

  /** A change counter, bumped by every change; the status guard in each UPDATE is what serialises changes, not this column. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the charge was decided (the payment_result's processedAt); null while PENDING and for older rows. */
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** When the claim was last sent to the processor (stamped before each charge call); null if it never was. */
  @Column({ name: 'charging_at', type: 'timestamptz', nullable: true })
  chargingAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
