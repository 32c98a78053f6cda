import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, Equals, IsArray } from 'class-validator';
import { ErrorBody } from '../errors/error-codes';
import { IdField } from '../field.decorator';
import { ReservationView, ReserveStockDto } from './reservation.dto';

/** The most items a batch may carry whatever INVENTORY_BATCH_MAX_ITEMS says (the setting's upper bound). */
export const BATCH_ITEMS_CAP = 1000;

// The envelope is validated whole (a bad one is 400 for the request); its items one by one, each a result of its
// own (a bad item is that item's 400), so the item arrays are only checked to be arrays here.

/** `POST /reservations/batch`: `POST /reservations` for many orders at once. */
export class ReserveBatchDto {
  @Equals(1)
  @ApiProperty({ enum: [1] })
  version!: 1;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_ITEMS_CAP)
  @ApiProperty({ type: [ReserveStockDto], description: 'At most INVENTORY_BATCH_MAX_ITEMS' })
  items!: unknown[];
}

/** `POST /reservations/commits`: `POST /reservations/{orderId}/commit` for many orders at once. */
export class CommitBatchDto {
  @Equals(1)
  @ApiProperty({ enum: [1] })
  version!: 1;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_ITEMS_CAP)
  @ApiProperty({ type: [String], description: 'Order ids; at most INVENTORY_BATCH_MAX_ITEMS' })
  orderIds!: unknown[];
}

/** One item of `POST /reservations/releases`: the order, and its event to bar an order id not recorded yet. */
export class ReleaseBatchItem {
  @IdField()
  orderId!: string;

  @IdField({ optional: true })
  eventId?: string;
}

/** `POST /reservations/releases`: `POST /reservations/{orderId}/release` for many orders at once. */
export class ReleaseBatchDto {
  @Equals(1)
  @ApiProperty({ enum: [1] })
  version!: 1;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_ITEMS_CAP)
  @ApiProperty({ type: [ReleaseBatchItem], description: 'At most INVENTORY_BATCH_MAX_ITEMS' })
  items!: unknown[];
}

/** One item's answer: the status and body the single call would have answered for it. */
export class BatchItemResult {
  @ApiProperty({ type: 'integer', description: "The single call's HTTP status: 201/200, or the error's" })
  status!: number;

  @ApiPropertyOptional({ type: ReservationView, description: 'On success' })
  reservation?: ReservationView;

  @ApiPropertyOptional({ type: ErrorBody, description: 'On a refusal or failure' })
  error?: ErrorBody;
}

/** The answer of every batch call (200): one result per item, in the items' order. */
export class BatchResultsView {
  @ApiProperty({ enum: [1] })
  version!: 1;

  @ApiProperty({ type: [BatchItemResult] })
  results!: BatchItemResult[];
}
