import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN, ID_RULE } from '../identifiers';

/** `POST /orders` */
export class CreateOrderDto {
  @Matches(ID_PATTERN, { message: `eventId ${ID_RULE}` })
  eventId!: string;

  @Matches(ID_PATTERN, { message: `userId ${ID_RULE}` })
  userId!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;

  @IsOptional()
  @Matches(/^tok_[A-Za-z0-9_]{1,60}$/, { message: 'paymentToken must look like tok_visa' })
  paymentToken?: string;
}

export type OrderStatus = 'CREATED' | 'CONFIRMED' | 'CANCELLED';

/** The order as `POST /orders` and `GET /orders/{orderId}` return it. */
export interface OrderView {
  orderId: string;
  eventId: string;
  userId: string;
  quantity: number;
  amount: number;
  currency: string;
  status: OrderStatus;
  reason?: string;
  paymentId?: string;
  createdAt: string;
  updatedAt: string;
}

/** `Idempotency-Key`: 1-255 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?$/;
