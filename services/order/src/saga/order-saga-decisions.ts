import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import type { PaymentDecision, SagaOutcome } from './order-saga-types';

// The decisions of step 4, free of I/O.

export function decideOnPayment(
  order: { status: OrderStatus; paymentId: string | null },
  result: Pick<PaymentResultMessage, 'status' | 'paymentId'>,
): PaymentDecision {
  if (order.status === 'CANCELLED' && !order.paymentId && result.status === 'succeeded') {
    return { kind: 'refund-late-charge', paymentId: result.paymentId };
  }
  if (order.status !== 'CREATED') return { kind: 'ignore', why: `order already ${order.status}` };
  if (result.status === 'succeeded') return { kind: 'commit-hold', paymentId: result.paymentId };
  return { kind: 'release-hold', paymentId: result.paymentId, reason: 'PAYMENT_DECLINED' };
}

/** After inventory answered the commit: sold, or the hold was gone (expired); payment refunds a cancelled order's charge. */
export function afterCommit(paymentId: string, holdStillThere: boolean): SagaOutcome {
  return holdStillThere
    ? { status: 'CONFIRMED', paymentId }
    : { status: 'CANCELLED', paymentId, reason: 'HOLD_EXPIRED' };
}

export function afterRelease(decision: Extract<PaymentDecision, { kind: 'release-hold' }>): SagaOutcome {
  return { status: 'CANCELLED', paymentId: decision.paymentId, reason: decision.reason };
}

/** No payment_result came in time: the hold is released and the order ends; a late charge is refunded then. */
export function afterTimeout(): SagaOutcome {
  return { status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' };
}
