import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { CURRENCY_PATTERN } from '../identifiers';

/** `PUT /events/{eventId}`: creates a sale or changes it. */
export class PutSaleDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(10_000_000)
  totalStock!: number;

  /** Minor units (cents). */
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  unitPrice!: number;

  @Matches(CURRENCY_PATTERN, { message: 'currency must be an ISO 4217 code such as EUR' })
  currency!: string;

  /** 0 or absent means no limit. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  perUserLimit?: number;
}

/** `GET /events/{eventId}` */
export interface SaleView {
  eventId: string;
  name: string;
  totalStock: number;
  available: number;
  held: number;
  sold: number;
  unitPrice: number;
  currency: string;
  perUserLimit: number;
}
