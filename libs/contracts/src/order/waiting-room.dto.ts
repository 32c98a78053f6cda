import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IdField } from '../field.decorator';
import { ID_PATTERN } from '../identifiers';

/** The most buyers a room admits a second (docs/contract.md §2, _The waiting room_). */
export const MAX_ADMIT_PER_SECOND = 10_000;

/** `PUT /events/{eventId}/waiting-room` (documents WAITING_ROOM_SETTINGS_SCHEMA, which validates it). */
export class WaitingRoomSettingsDto {
  @ApiProperty({ description: 'While true, POST /orders for the sale needs an Admission-Token' })
  enabled!: boolean;

  @ApiProperty({
    oneOf: [
      { type: 'integer', minimum: 1, maximum: MAX_ADMIT_PER_SECOND },
      { type: 'string', enum: ['auto'] },
    ],
    description: 'Buyers admitted a second, or "auto": the rate follows what the saga is measured to take',
    example: 50,
  })
  admitPerSecond!: number | 'auto';

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Arrivals before it join the pre-queue, shuffled at that moment',
  })
  preQueueUntil?: string | null;
}

export type WaitingRoomSettingsBody = Pick<
  WaitingRoomSettingsDto,
  'enabled' | 'admitPerSecond' | 'preQueueUntil'
>;

/**
 * The settings' rules as JSON Schema (Fastify's Ajv, no coercion, every error). `admitPerSecond` is an integer or the
 * string "auto" (the pattern applies to strings only, the bounds to numbers only).
 */
export const WAITING_ROOM_SETTINGS_SCHEMA = {
  type: 'object',
  required: ['enabled', 'admitPerSecond'],
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    admitPerSecond: {
      type: ['integer', 'string'],
      minimum: 1,
      maximum: MAX_ADMIT_PER_SECOND,
      pattern: '^auto$',
    },
    preQueueUntil: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** The room's settings as PUT answers them. */
export class WaitingRoomView {
  @ApiProperty()
  eventId!: string;
  @ApiProperty()
  enabled!: boolean;
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['auto'] }] })
  admitPerSecond!: number | 'auto';
  @ApiProperty({ type: String, nullable: true, description: 'ISO 8601' })
  preQueueUntil!: string | null;
  @ApiProperty({ description: 'ISO 8601' })
  updatedAt!: string;
}

/** What the room last read of its sale's stock (docs/contract.md §2, _The room follows its sale's stock_). */
export const ROOM_STOCK = ['on_sale', 'all_held', 'sold_out', 'unknown'] as const;
export type RoomStock = (typeof ROOM_STOCK)[number];

/** `GET /events/{eventId}/waiting-room` */
export class WaitingRoomStatus {
  @ApiProperty()
  enabled!: boolean;
  @ApiProperty({ enum: ['fixed', 'auto'], description: 'auto: the rate follows the saga' })
  mode!: 'fixed' | 'auto';
  @ApiProperty({
    type: 'integer',
    description: 'The rate now (an auto room: the one the controller set last)',
  })
  admitPerSecond!: number;
  @ApiProperty({ type: 'integer', description: 'Entries not admitted yet, the pre-queue included' })
  queued!: number;
  @ApiProperty({ type: 'integer', description: 'Entries admitted since the queue opened' })
  admitted!: number;
  @ApiProperty({ type: 'integer', description: 'What the last entry of the queue is told to wait' })
  longestEstimatedWaitSeconds!: number;
  @ApiProperty({ type: String, nullable: true, description: 'ISO 8601' })
  preQueueUntil!: string | null;
  @ApiProperty({
    enum: ROOM_STOCK,
    description:
      "The sale's stock as last read (within 5 s): on_sale admits; all_held and sold_out stand the counter; unknown admits",
  })
  stock!: RoomStock;
}

/** `POST /events/{eventId}/waiting-room/entries` */
export class EnterWaitingRoomDto {
  @IdField({
    optional: true,
    description: "The buyer. Required without a buyer's bearer token; with one, its sub (another is 403)",
    example: 'alice',
  })
  userId?: string;
}

export type EnterWaitingRoomBody = Pick<EnterWaitingRoomDto, 'userId'>;

export const ENTER_WAITING_ROOM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { userId: { type: ['string', 'null'], pattern: ID_PATTERN.source } },
} as const;

/** An entry still waiting. */
export class WaitingEntryView {
  @ApiProperty({ description: 'A UUID' })
  entryId!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null while in the pre-queue' })
  position!: number | null;
  @ApiProperty({ type: 'integer' })
  estimatedWaitSeconds!: number;
  @ApiProperty({ type: 'integer', description: 'When to ask again; 0 once admitted' })
  pollAfterSeconds!: number;
}

/** An entry admitted: the token POST /orders takes as Admission-Token. */
export class AdmittedEntryView {
  @ApiProperty()
  entryId!: string;
  @ApiProperty({ enum: [true] })
  admitted!: true;
  @ApiProperty({ description: 'A JWT: send it as Admission-Token with POST /orders' })
  admissionToken!: string;
  @ApiProperty({ description: 'ISO 8601' })
  expiresAt!: string;
}

/** An entry whose admission expired (from when its turn came, looked at or not): queue again for a new one. */
export class ExpiredEntryView {
  @ApiProperty()
  entryId!: string;
  @ApiProperty({ enum: [false] })
  admitted!: false;
  @ApiProperty({ enum: [true] })
  expired!: true;
  @ApiProperty({ description: 'ISO 8601: when the admission expired' })
  expiresAt!: string;
}

/** An entry whose turn has not come while the sale is sold out: there will be none, stop asking. */
export class SoldOutEntryView {
  @ApiProperty()
  entryId!: string;
  @ApiProperty({ enum: [false] })
  admitted!: false;
  @ApiProperty({ enum: [true] })
  soldOut!: true;
}

export class EntryIdParam {
  @IdField({ example: 'final' })
  eventId!: string;

  @IdField({ example: '0b8e2c1a-5f4d-4e8b-9a43-2c7d1e6f9a10' })
  entryId!: string;
}
