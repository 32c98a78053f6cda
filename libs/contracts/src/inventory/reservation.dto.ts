import { ApiProperty } from '@nestjs/swagger';
import { IdField, IntegerField } from '../field.decorator';

/** `POST /reservations`: hold stock for one order. Idempotent by `orderId`. */
export class ReserveStockDto {
  @IdField()
  orderId!: string;

  @IdField()
  eventId!: string;

  @IdField()
  userId!: string;

  @IntegerField(1, 100)
  quantity!: number;
}

export const RESERVATION_STATUSES = ['HELD', 'COMMITTED', 'RELEASED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** The answer to reserve, commit and release. */
export class ReservationView {
  @ApiProperty()
  orderId!: string;
  @ApiProperty()
  eventId!: string;
  @ApiProperty()
  userId!: string;
  @ApiProperty({ type: 'integer' })
  quantity!: number;
  @ApiProperty({ type: 'integer', description: "The sale's at the time of the hold, minor units" })
  unitPrice!: number;
  @ApiProperty()
  currency!: string;
  @ApiProperty({ enum: RESERVATION_STATUSES })
  status!: ReservationStatus;
  @ApiProperty({ format: 'date-time', description: 'When an uncommitted hold lapses' })
  expiresAt!: string;
}

/** `POST /reservations/{orderId}/release`: `eventId` lets inventory bar an order id it has not recorded yet. */
export class ReleaseReservationDto {
  @IdField({ optional: true })
  eventId?: string;
}
