import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';

/**
 * An order_cancelled payment has seen, kept even when it came before the order's order_created: such an order is
 * never charged. Holds the payment_cancelled answer once it is decided, sent again unchanged for each repeat.
 */
@Entity({ name: 'cancellations' })
export class Cancellation {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 64 })
  orderId!: string;

  @Column({ type: 'varchar', length: 64 })
  reason!: string;

  /** The payment_cancelled message id, the same on every re-send. */
  @Column({ name: 'message_id', type: 'varchar', length: 64 })
  messageId!: string;

  /** Null while the answer waits: for a charge in flight, or for a refund the processor has not made yet. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: PaymentCancelledMessage['outcome'] | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz' })
  cancelledAt!: Date;

  @Column({ name: 'settled_at', type: 'timestamptz', nullable: true })
  settledAt!: Date | null;
}
