import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, Max, Min, ValidateIf } from 'class-validator';
import { IdField, IntegerField } from '../field.decorator';
import { BATCH_ITEMS_CAP } from './reservation-batch.dto';

/** The versions of `POST /reservations/held` inventory answers: 2 is what order sends, 1 what an older order sent. */
export const HELD_RESERVATIONS_VERSIONS = [1, 2] as const;

/**
 * `POST /reservations/held`: a page of the holds still HELD taken more than `heldForSeconds` ago (version 2, judged
 * on inventory's own clock, so no other host's clock decides a hold's age) or before `heldBefore` (version 1, a time
 * from the caller's clock), oldest first.
 */
export class HeldReservationsDto {
  @IsIn(HELD_RESERVATIONS_VERSIONS)
  @ApiProperty({ enum: HELD_RESERVATIONS_VERSIONS })
  version!: (typeof HELD_RESERVATIONS_VERSIONS)[number];

  // Required by its version (not IsOptional, which would let it be missing there).
  @ValidateIf((dto: HeldReservationsDto) => dto.version === 2)
  @IsInt()
  @Min(0)
  @Max(86_400)
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 86_400,
    description: 'Version 2 (required): only holds taken more than this many seconds ago (inventory’s clock)',
  })
  heldForSeconds?: number;

  @ValidateIf((dto: HeldReservationsDto) => dto.version === 1)
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Version 1 (required): only holds taken before this',
  })
  heldBefore?: string;

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
