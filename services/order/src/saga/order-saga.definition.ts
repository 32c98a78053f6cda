import type { Order } from './order.entity';
import type { OrderSaga } from './order-saga';
import type { SagaStep } from './order-saga-types';

/** A method of OrderSaga: each step names the code that does it, so that the compiler keeps the two together. */
type SagaMethod = keyof OrderSaga;

/** A method the saga's driver calls with the order's row alone: a step done again, or its timeout. */
type DriverMethod = {
  [M in SagaMethod]: OrderSaga[M] extends (order: Order) => Promise<void> ? M : never;
}[SagaMethod];

export interface SagaStepDefinition {
  /** Who does the work: the order service itself, or the participant it asks. */
  participant: 'order' | 'inventory' | 'payment';
  /** The method that does the step; none for payment's, set off by step 2's order_created. */
  invoke?: SagaMethod;
  /** The method that receives the step's reply message. */
  handler?: SagaMethod;
  /** What the step's replies lead to, each to the method that handles it. */
  onReply?: Readonly<Record<string, SagaMethod>>;
  /** What the step's own outcomes lead to (a step that waits for no reply), each to its method. */
  onOutcome?: Readonly<Record<string, SagaMethod>>;
  /** What undoes the step once a later one fails. */
  compensation?: SagaMethod;
  /** The order's `step` while it waits for this one to be answered (docs/contract.md §2, "The saga's state"). */
  waitsIn?: Exclude<SagaStep, 'DONE'>;
  /** What the saga's driver calls when the step is not answered in time: the step again, idempotently. */
  resend?: DriverMethod;
  /** What it calls instead once the step is past its timeout. */
  timeout?: DriverMethod;
}

/**
 * The order saga at one glance (docs/contract.md §2 and §5), in the order it runs; OrderSaga has one method per
 * name. Status CREATED → CONFIRMED | CANCELLED, nothing else; step PAYMENT → COMMIT → DONE, or → COMPENSATION → DONE.
 * SagaDriver re-sends each step that waits from the order's row; order-saga.definition.spec.ts runs each line
 * against OrderSaga.
 */
export const ORDER_SAGA = {
  // 0. POST /orders: ORDER_MAX_IN_FLIGHT, the saga backlog, SOLD_OUT from memory, the Idempotency-Key's first answer
  admit: { participant: 'order', invoke: 'admit' },
  // 1. POST /reservations/batch, with the holds asked meanwhile; a SOLD_OUT is remembered for ORDER_SOLD_OUT_MEMORY_MS
  holdStock: { participant: 'inventory', invoke: 'holdStock', compensation: 'releaseHold' },
  // 2. CREATED/PAYMENT + order_created in one transaction; a COMMIT whose answer was lost: what Postgres kept decides
  record: {
    participant: 'order',
    invoke: 'record',
    onOutcome: {
      failed: 'releaseHoldIfOurs', // 503: step 1 undone, then the order id given up, unless a racing request owns it
      racingRequestRefused: 'releaseHoldOrLetExpire', // its refusal; step 1 undone by the deadline, or the hold expires
    },
  },
  // 3. payment consumes order_created, charges at most once, and replies payment_result (the same one to a repeat)
  charge: {
    participant: 'payment',
    waitsIn: 'PAYMENT',
    handler: 'onPaymentResults', // a batch of replies; decideOnPayment picks what one not moved at once leads to
    onReply: {
      succeeded: 'commitHolds', // 4. the batch's successes PAYMENT → COMMIT in one UPDATE, then one commit call
      failed: 'cancel', // 5. CANCELLED (PAYMENT_DECLINED)
      succeededLate: 'recordLateCharge', // after the timeout: its paymentId recorded; payment refunds it, not the saga
    },
    resend: 'askForPayment', // order_created again, the same messageId
    timeout: 'onPaymentTimeout', // past ORDER_PAYMENT_TIMEOUT_SECONDS: CANCELLED (PAYMENT_TIMEOUT)
    compensation: 'askForRefund', // 5. every CANCELLED sends order_cancelled: payment refunds its charge, if any
  },
  // 4. inventory sells the holds (one call for many): CONFIRMED, in one statement; a hold expired, released or not
  //    found: released first, still in COMMIT, then CANCELLED (HOLD_EXPIRED) with its hold's half done; a release that
  //    finds it sold (an earlier commit): CONFIRMED
  commit: {
    participant: 'inventory',
    waitsIn: 'COMMIT',
    invoke: 'commitHolds',
    onReply: { committed: 'confirm', holdGone: 'releaseGoneHold' },
    resend: 'commitHold', // inventory down, or any other answer: the commit again (a batch of one), until it answers
  },
  // 5. CANCELLED at once; complete (DONE) once inventory released the hold (or it is gone) and payment replied
  //    payment_cancelled (not_charged or refunded). A hold found sold here (from PAYMENT: no commit was ever sent) is
  //    never released: PENDING, logged at error, for the audit (SOLD_FOR_UNCONFIRMED_ORDER).
  compensate: {
    participant: 'order',
    waitsIn: 'COMPENSATION',
    invoke: 'releaseCancelledHold',
    handler: 'onPaymentCancelled',
    resend: 'compensate', // what is missing again: the release, order_cancelled (the same messageId)
  },
} as const satisfies Readonly<Record<string, SagaStepDefinition>>;

/** The step an order waits in, by its `step` column: what the saga's driver calls when the order is due. */
export function stepWaitingIn(step: Exclude<SagaStep, 'DONE'>): SagaStepDefinition {
  const steps: readonly SagaStepDefinition[] = Object.values(ORDER_SAGA);
  return steps.find((definition) => definition.waitsIn === step)!;
}
