import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN, ID_RULE } from '../identifiers';

/** `POST /reservations`: hold stock for one order. Idempotent by `orderId`. */
export class ReserveStockDto {
  @Matches(ID_PATTERN, { message: `orderId ${ID_RULE}` })
  orderId!: string;

  @Matches(ID_PATTERN, { message: `eventId ${ID_RULE}` })
  eventId!: string;

  @Matches(ID_PATTERN, { message: `userId ${ID_RULE}` })
  userId!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

export type ReservationStatus = 'HELD' | 'COMMITTED' | 'RELEASED';

/** The answer to reserve, commit and release. */
export interface ReservationView {
  orderId: string;
  eventId: string;
  userId: string;
  quantity: number;
  unitPrice: number;
  currency: string;
  status: ReservationStatus;
  expiresAt: string;
}

/** `POST /reservations/{orderId}/release`: `eventId` lets inventory bar an order id it has not recorded yet. */
export class ReleaseReservationDto {
  @IsOptional()
  @Matches(ID_PATTERN, { message: `eventId ${ID_RULE}` })
  eventId?: string;
}
