import { Cancellation } from './cancellation.entity';
import { Payment } from './payment.entity';

/** What payment knows of an order, read under the order's lock. */
export interface OrderPayment {
  payment: Payment | null;
  cancellation: Cancellation | null;
}

/**
 * What payment knows of each order of `orders` (a FROM item aliased `o`, with an `order_id` column) in one read: its
 * payment and cancellation both LEFT JOINed to the order id, so that one row comes back per order whether either
 * exists or not.
 */
export function knownOfOrders(orders: string): string {
  return `
  SELECT o.order_id, p.payment_id, p.status, p.amount, p.currency, p.reason, p.charge_reference,
         p.result_message_id, p.version, p.created_at, p.decided_at, p.charging_at, p.updated_at,
         c.order_id AS cancelled_order_id, c.reason AS cancelled_reason, c.message_id AS cancelled_message_id,
         c.outcome AS cancelled_outcome, c.cancelled_at, c.settled_at
  FROM ${orders} LEFT JOIN payments p USING (order_id) LEFT JOIN cancellations c USING (order_id)`;
}

/** What payment knows of one order (`$1` its id), as a CTE or a query of its own. */
export const KNOWN_OF_ORDER = knownOfOrders('(SELECT $1::varchar AS order_id) o');

/** A row of payments as `RETURNING *` or KNOWN_OF_ORDER gives it (pg answers bigint as a string). */
export interface RawPayment {
  order_id: string;
  payment_id: string | null;
  status: Payment['status'] | null;
  amount: string | number;
  currency: string;
  reason: string | null;
  charge_reference: string | null;
  result_message_id: string;
  version: number;
  created_at: Date;
  decided_at: Date | null;
  charging_at: Date | null;
  updated_at: Date;
}

export interface RawOrderPayment extends RawPayment {
  cancelled_order_id: string | null;
  cancelled_reason: string;
  cancelled_message_id: string;
  cancelled_outcome: Cancellation['outcome'];
  cancelled_at: Date;
  settled_at: Date | null;
}

export function paymentOf(raw: RawPayment): Payment | null {
  if (raw.payment_id === null) return null;
  return Object.assign(new Payment(), {
    paymentId: raw.payment_id,
    orderId: raw.order_id,
    status: raw.status,
    amount: Number(raw.amount),
    currency: raw.currency,
    reason: raw.reason,
    chargeReference: raw.charge_reference,
    resultMessageId: raw.result_message_id,
    version: raw.version,
    createdAt: raw.created_at,
    decidedAt: raw.decided_at,
    chargingAt: raw.charging_at,
    updatedAt: raw.updated_at,
  });
}

export function orderPaymentOf(raw: RawOrderPayment): OrderPayment {
  const cancellation =
    raw.cancelled_order_id === null
      ? null
      : Object.assign(new Cancellation(), {
          orderId: raw.cancelled_order_id,
          reason: raw.cancelled_reason,
          messageId: raw.cancelled_message_id,
          outcome: raw.cancelled_outcome,
          cancelledAt: raw.cancelled_at,
          settledAt: raw.settled_at,
        });
  return { payment: paymentOf(raw), cancellation };
}
