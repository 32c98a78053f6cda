import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import type { PaymentDecision, SagaStep } from './order-saga-types';

// The decisions of steps 3 and 4, free of I/O.

export function decideOnPayment(
  order: { status: OrderStatus; step: SagaStep; paymentId: string | null },
  result: Pick<PaymentResultMessage, 'status' | 'paymentId'>,
): PaymentDecision {
  if (order.status === 'CANCELLED' && !order.paymentId && result.status === 'succeeded') {
    return { kind: 'record-late-charge', paymentId: result.paymentId };
  }
  if (order.step !== 'PAYMENT') {
    const why = order.status === 'CREATED' ? 'payment already answered' : `order already ${order.status}`;
    return { kind: 'ignore', why };
  }
  if (result.status === 'succeeded') return { kind: 'commit-hold', paymentId: result.paymentId };
  return { kind: 'cancel', paymentId: result.paymentId, reason: 'PAYMENT_DECLINED' };
}
