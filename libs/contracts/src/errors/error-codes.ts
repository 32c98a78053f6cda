import { ApiProperty } from '@nestjs/swagger';

// Every error code of the contract (docs/contract.md §2-§4) and the one HTTP status it maps to.
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  UNAUTHENTICATED: 401,
  BUYER_MISMATCH: 403,
  EVENT_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  RESERVATION_NOT_FOUND: 404,
  PAYMENT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  WAITING_ROOM_NOT_FOUND: 404,
  ENTRY_NOT_FOUND: 404,
  SOLD_OUT: 409,
  STOCK_BELOW_ALLOCATED: 409,
  RESERVATION_COMMITTED: 409,
  RESERVATION_RELEASED: 409,
  HOLD_EXPIRED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PURCHASE_LIMIT_EXCEEDED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  WAITING_ROOM: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  OVERLOADED: 503,
  WAITING_ROOM_CLOSED: 503,
  OUTCOME_UNKNOWN: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ErrorDetail {
  @ApiProperty({ example: 'quantity' })
  field!: string;
  @ApiProperty({ type: [String] })
  messages!: string[];
}

/** The body of every error response: `{ code, message, details? }`. */
export class ErrorBody {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), description: 'Clients branch on this, never on message' })
  code!: ErrorCode;
  @ApiProperty({ description: 'For humans' })
  message!: string;
  @ApiProperty({
    type: [ErrorDetail],
    required: false,
    description: 'Only on VALIDATION_FAILED: one per field',
  })
  details?: ErrorDetail[];
  @ApiProperty({
    required: false,
    description: 'Only on WAITING_ROOM: where to queue, /events/{eventId}/waiting-room/entries',
  })
  queue?: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
