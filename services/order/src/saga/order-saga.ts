import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';

/*
 * The order saga, as in the README diagram:
 *
 *   POST /orders ── hold stock ──▶ CREATED ── order_created ──▶ payment
 *   CREATED ── payment succeeded ── commit hold ──▶ CONFIRMED
 *   CREATED ── payment succeeded ── hold expired ──▶ CANCELLED (HOLD_EXPIRED, charge refunded)
 *   CREATED ── payment failed ──── release hold ──▶ CANCELLED (PAYMENT_DECLINED)
 *   CREATED ── no payment_result within the timeout ── release hold ──▶ CANCELLED (PAYMENT_TIMEOUT)
 *   CANCELLED before its payment was known ── payment succeeded late ──▶ unchanged, charge refunded
 *   CONFIRMED / CANCELLED ── any other later payment_result ──▶ unchanged
 */

/** What the saga does next for an order, given a payment result. */
export type SagaStep =
  | { kind: 'ignore'; why: string }
  | { kind: 'refund-late-charge'; paymentId: string }
  | { kind: 'commit-hold'; paymentId: string }
  | { kind: 'release-hold'; paymentId: string; reason: CancelReason };

export type CancelReason = 'PAYMENT_DECLINED' | 'HOLD_EXPIRED' | 'PAYMENT_TIMEOUT';

/** The end state of a step, once inventory answered. */
export interface SagaOutcome {
  status: Exclude<OrderStatus, 'CREATED'>;
  /** Unknown when the order timed out before payment answered. */
  paymentId?: string;
  reason?: CancelReason;
}

export function stepForPayment(
  order: { status: OrderStatus; paymentId: string | null },
  result: Pick<PaymentResultMessage, 'status' | 'paymentId'>,
): SagaStep {
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

export function afterRelease(step: Extract<SagaStep, { kind: 'release-hold' }>): SagaOutcome {
  return { status: 'CANCELLED', paymentId: step.paymentId, reason: step.reason };
}

/** No payment_result came in time: the hold is released and the order ends; a late charge is refunded then. */
export function afterTimeout(): SagaOutcome {
  return { status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' };
}
