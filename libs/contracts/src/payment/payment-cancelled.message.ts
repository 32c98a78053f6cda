import { Equals, IsIn, IsISO8601, Matches } from 'class-validator';
import { ID_PATTERN } from '../identifiers';
import { validateMessage } from '../validate-message';

/**
 * `payment_cancelled`, published by payment once an `order_cancelled` is settled: nothing was charged (and nothing
 * ever will be for that order), or the charge is refunded. Order's compensation is complete only with it.
 */
export class PaymentCancelledMessage {
  @Equals(1)
  version!: 1;

  @Matches(ID_PATTERN)
  orderId!: string;

  @IsIn(['not_charged', 'refunded'])
  outcome!: 'not_charged' | 'refunded';

  @IsISO8601()
  processedAt!: string;
}

export const parsePaymentCancelled = (raw: unknown): PaymentCancelledMessage =>
  validateMessage(PaymentCancelledMessage, raw);
