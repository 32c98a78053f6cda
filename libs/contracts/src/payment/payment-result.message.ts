import { Equals, IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { ID_PATTERN } from '../identifiers';
import { validateMessage } from '../validate-message';

/** `payment_result`, published by payment once a charge is decided; order confirms or compensates. */
export class PaymentResultMessage {
  @Equals(1)
  version!: 1;

  @Matches(ID_PATTERN)
  orderId!: string;

  @Matches(ID_PATTERN)
  paymentId!: string;

  @IsIn(['succeeded', 'failed'])
  status!: 'succeeded' | 'failed';

  /** Why a payment failed: `card_declined`, `insufficient_funds`, ... */
  @IsOptional()
  @Matches(/^[a-z_]{1,64}$/)
  reason?: string;

  @IsISO8601()
  processedAt!: string;
}

export const parsePaymentResult = (raw: unknown): PaymentResultMessage =>
  validateMessage(PaymentResultMessage, raw);
