import { ApiProperty } from '@nestjs/swagger';
import { IdField, IntegerField, PatternField } from '../field.decorator';
import { ID_PATTERN } from '../identifiers';

const PAYMENT_TOKEN_PATTERN = /^tok_[A-Za-z0-9_]{1,60}$/;

/** `POST /orders` */
export class CreateOrderDto {
  @IdField({ example: 'final' })
  eventId!: string;

  @IdField({
    optional: true,
    description:
      "The buyer. Required without a buyer's bearer token; with one, the token's sub is the buyer and userId may be left out (another one is 403 BUYER_MISMATCH)",
    example: 'alice',
  })
  userId?: string;

  @IntegerField(1, 100, { example: 1 })
  quantity!: number;

  @PatternField(PAYMENT_TOKEN_PATTERN, 'paymentToken must look like tok_visa', {
    optional: true,
    description: 'Default tok_visa; test tokens: docs/contract.md §4',
    example: 'tok_visa',
  })
  paymentToken?: string;
}

/** `POST /orders`'s body once validated, as the controller gets it. */
export type CreateOrderBody = Pick<CreateOrderDto, 'eventId' | 'userId' | 'quantity' | 'paymentToken'>;

/**
 * CreateOrderDto's rules as JSON Schema, for the hot route: compiled once (Fastify's Ajv, no coercion, every error)
 * instead of class-transformer and class-validator on every request. The same rules, and the same fields refused.
 */
export const CREATE_ORDER_SCHEMA = {
  type: 'object',
  // userId: see the buyer's bearer token (docs/contract.md §2, _Buyers_); required without one, by the controller.
  required: ['eventId', 'quantity'],
  additionalProperties: false,
  properties: {
    eventId: { type: 'string', pattern: ID_PATTERN.source },
    userId: { type: ['string', 'null'], pattern: ID_PATTERN.source },
    quantity: { type: 'integer', minimum: 1, maximum: 100 },
    // Optional as class-validator's IsOptional has it: absent or null (the default token, the token's buyer).
    paymentToken: { type: ['string', 'null'], pattern: PAYMENT_TOKEN_PATTERN.source },
  },
} as const;

export const ORDER_STATUSES = ['CREATED', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A cancelled order's compensation: PENDING until inventory released its hold and payment settled it. */
export const COMPENSATIONS = ['PENDING', 'COMPLETE'] as const;
export type Compensation = (typeof COMPENSATIONS)[number];

/** The order as `POST /orders` and `GET /orders/{orderId}` return it. */
export class OrderView {
  @ApiProperty({ description: 'Chosen by the order service (a UUID)' })
  orderId!: string;
  @ApiProperty()
  eventId!: string;
  @ApiProperty()
  userId!: string;
  @ApiProperty({ type: 'integer' })
  quantity!: number;
  @ApiProperty({ type: 'integer', description: 'Minor units (cents)' })
  amount!: number;
  @ApiProperty({ description: 'ISO 4217' })
  currency!: string;
  @ApiProperty({ enum: ORDER_STATUSES })
  status!: OrderStatus;
  @ApiProperty({
    required: false,
    description: 'Only on CANCELLED: PAYMENT_DECLINED, HOLD_EXPIRED or PAYMENT_TIMEOUT',
  })
  reason?: string;
  @ApiProperty({ required: false, description: 'Once the payment is known' })
  paymentId?: string;
  @ApiProperty({
    required: false,
    enum: COMPENSATIONS,
    description:
      'Only on CANCELLED: COMPLETE once the tickets are back on sale and payment said nothing was charged or refunded',
  })
  compensation?: Compensation;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

/** `Idempotency-Key`: 1-255 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?$/;
