import { ApiProperty } from '@nestjs/swagger';

export const PAYMENT_STATUSES = ['SUCCEEDED', 'FAILED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** `GET /payments/{orderId}` */
export class PaymentView {
  @ApiProperty()
  paymentId!: string;
  @ApiProperty()
  orderId!: string;
  @ApiProperty({ enum: PAYMENT_STATUSES })
  status!: PaymentStatus;
  @ApiProperty({ type: 'integer', description: 'Minor units (cents)' })
  amount!: number;
  @ApiProperty()
  currency!: string;
  @ApiProperty({ required: false, description: 'Why a charge failed: card_declined, insufficient_funds...' })
  reason?: string;
}
