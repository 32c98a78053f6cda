export type PaymentStatus = 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

/** `GET /payments/{orderId}` */
export interface PaymentView {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  reason?: string;
}
