import { Equals, IsInt, IsISO8601, IsString, Matches, Max, Min } from 'class-validator';
import { CURRENCY_PATTERN, ID_PATTERN } from '../identifiers';
import { validateMessage } from '../validate-message';

/** `order_created`, published by order once an order is durably CREATED; payment charges it. */
export class OrderCreatedMessage {
  @Equals(1)
  version!: 1;

  @Matches(ID_PATTERN)
  orderId!: string;

  @Matches(ID_PATTERN)
  eventId!: string;

  @Matches(ID_PATTERN)
  userId!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;

  /** Minor units; at most what payment's bigint columns and a JavaScript number both hold exactly. */
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  amount!: number;

  @Matches(CURRENCY_PATTERN)
  currency!: string;

  @IsString()
  @Matches(/^tok_[A-Za-z0-9_]{1,60}$/)
  paymentToken!: string;

  @IsISO8601()
  createdAt!: string;
}

export const parseOrderCreated = (raw: unknown): OrderCreatedMessage =>
  validateMessage(OrderCreatedMessage, raw);
