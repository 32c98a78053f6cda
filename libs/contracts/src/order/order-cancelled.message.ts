import { Equals, IsISO8601, Matches } from 'class-validator';
import { ID_PATTERN } from '../identifiers';
import { validateMessage } from '../validate-message';

/**
 * `order_cancelled`, published by order when an order ends CANCELLED; payment refunds a charge it made for it
 * (docs/contract.md §6.4: a charge for an order that ends CANCELLED is refunded).
 */
export class OrderCancelledMessage {
  @Equals(1)
  version!: 1;

  @Matches(ID_PATTERN)
  orderId!: string;

  @Matches(/^[A-Z_]{1,64}$/)
  reason!: string;

  @IsISO8601()
  cancelledAt!: string;
}

export const parseOrderCancelled = (raw: unknown): OrderCancelledMessage =>
  validateMessage(OrderCancelledMessage, raw);
