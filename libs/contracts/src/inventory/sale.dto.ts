import { ApiProperty } from '@nestjs/swagger';
import { IntegerField, PatternField, TextField } from '../field.decorator';
import { CURRENCY_PATTERN } from '../identifiers';

/** `PUT /events/{eventId}`: creates a sale or changes it. */
export class PutSaleDto {
  @TextField(1, 200, { example: 'Final' })
  name!: string;

  @IntegerField(0, 10_000_000, { example: 100 })
  totalStock!: number;

  @IntegerField(0, 100_000_000, { description: 'Minor units (cents)', example: 5000 })
  unitPrice!: number;

  @PatternField(CURRENCY_PATTERN, 'currency must be an ISO 4217 code such as EUR', { example: 'EUR' })
  currency!: string;

  @IntegerField(0, 10_000, { optional: true, description: '0 or absent means no limit', example: 2 })
  perUserLimit?: number;
}

export class StockCounts {
  @ApiProperty({ type: 'integer' })
  available!: number;
  @ApiProperty({ type: 'integer' })
  held!: number;
  @ApiProperty({ type: 'integer' })
  sold!: number;
}

/** `GET /events/{eventId}`: the counts are the Redis gate's, `ledger` the same counts from Postgres. */
export class SaleView {
  @ApiProperty()
  eventId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: 'integer' })
  totalStock!: number;
  @ApiProperty({ type: 'integer' })
  available!: number;
  @ApiProperty({ type: 'integer' })
  held!: number;
  @ApiProperty({ type: 'integer' })
  sold!: number;
  @ApiProperty({ type: 'integer', description: 'Minor units (cents)' })
  unitPrice!: number;
  @ApiProperty()
  currency!: string;
  @ApiProperty({ type: 'integer', description: '0: no limit' })
  perUserLimit!: number;
  @ApiProperty({ description: 'Equal to the gate counts once in-flight requests end' })
  ledger!: StockCounts;
}
