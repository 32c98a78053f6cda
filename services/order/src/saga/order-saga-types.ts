import type { OrderStatus } from '@boxoffice/contracts/order/order.dto';
import type { LogFields } from '@boxoffice/logging/log-context';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import type { ReservationView } from '@boxoffice/contracts/inventory/reservation.dto';
import type { Deadline } from '../request/deadline';
import type { OrderIdClaim } from '../request/order-id-claim';

/** What a buyer asks for, its payment token defaulted. */
export interface OrderRequest {
  eventId: string;
  userId: string;
  quantity: number;
  paymentToken: string;
}

/** Step 1's answer: the tickets inventory holds for the order, at the sale's price then. */
export type Hold = ReservationView;

/** An order as steps 4 and 5 need it: which order, and whose hold to commit or release. */
export interface OrderInSaga {
  orderId: string;
  eventId: string;
  /** What its lines carry besides its orderId: the reply that moved it, in a batch of others. */
  logFields?: LogFields;
}

/** A payment_result as delivered: its messageId goes on the lines written about its order. */
export interface PaymentReply {
  payload: PaymentResultMessage;
  context?: { messageId?: string };
}

/** Step 2's input: the order to record once its tickets are held, under the request's claim on its id. */
export interface OrderToRecord {
  orderId: string;
  request: OrderRequest;
  hold: Hold;
  claim: OrderIdClaim;
  deadline: Deadline;
}

/**
 * What the order waits for (docs/contract.md §2, "The saga's state"): payment's answer, inventory's commit, the two
 * halves of a cancellation's compensation (the hold's release and payment_cancelled), or nothing any more.
 */
export type SagaStep = 'PAYMENT' | 'COMMIT' | 'COMPENSATION' | 'DONE';

/** What the saga does next for an order, given a payment result. */
export type PaymentDecision =
  | { kind: 'ignore'; why: string }
  | { kind: 'record-late-charge'; paymentId: string }
  | { kind: 'commit-hold'; paymentId: string }
  | { kind: 'cancel'; paymentId: string; reason: CancelReason };

export type CancelReason = 'PAYMENT_DECLINED' | 'HOLD_EXPIRED' | 'PAYMENT_TIMEOUT';

/** The end state of a step, once inventory answered. */
export interface SagaOutcome {
  status: Exclude<OrderStatus, 'CREATED'>;
  /** Unknown when the order timed out before payment answered. */
  paymentId?: string;
  reason?: CancelReason;
}
