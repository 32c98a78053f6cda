import { ApiProperty } from '@nestjs/swagger';
import { Equals, IsISO8601 } from 'class-validator';
import { IdField, IntegerField } from '../field.decorator';
import { BATCH_ITEMS_CAP } from './reservation-batch.dto';

/** `POST /reservations/held`: a page of the holds still HELD taken before `heldBefore`, oldest first. */
export class HeldReservationsDto {
  @Equals(1)
  @ApiProperty({ enum: [1] })
  version!: 1;

  @IsISO8601({ strict: true })
  @ApiProperty({ format: 'date-time', description: 'Only holds taken before this (inventory’s clock)' })
  heldBefore!: string;

  @IntegerField(1, BATCH_ITEMS_CAP)
  limit!: number;

  @IdField({ optional: true, description: 'The last orderId of the page before' })
  after?: string;
}

/** One hold of the page: what a release needs, and when it was taken. */
export class HeldReservation {
  @ApiProperty()
  orderId!: string;
  @ApiProperty()
  eventId!: string;
  @ApiProperty({ format: 'date-time' })
  heldAt!: string;
}

/** The answer (200): at most `limit` holds, in the order they expire; a shorter page is the last. */
export class HeldReservationsView {
  @ApiProperty({ enum: [1] })
  version!: 1;

  @ApiProperty({ type: [HeldReservation] })
  holds!: HeldReservation[];
}
