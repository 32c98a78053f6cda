/**
 * OrderSaga's step methods by name. Most are private to OrderSaga, so `keyof OrderSaga` cannot name them;
 * order-saga.definition.spec.ts checks each against OrderSaga.prototype instead.
 */
export const SAGA_METHODS = [
  'admit',
  'holdStock',
  'record',
  'onPaymentResult',
  'onPaymentTimeout',
  'commitHold',
  'releaseHold',
  'releaseHoldOrLetExpire',
  'releaseHoldIfOurs',
  'refundLateCharge',
  'askForRefund',
] as const;

/** A method of OrderSaga: each step names the code that does it. */
export type SagaMethod = (typeof SAGA_METHODS)[number];

export interface SagaStepDefinition {
  /** Who does the work: the order service itself, or the participant it asks. */
  participant: 'order' | 'inventory' | 'payment';
  /** The method that does the step; none for payment's, set off by step 2's order_created. */
  invoke?: SagaMethod;
  /** The method that receives the step's reply message. */
  handler?: SagaMethod;
  /** What the step's own outcomes lead to, each to the method that handles it. */
  onOutcome?: Readonly<Record<string, SagaMethod>>;
  /** What the participant's reply messages lead to, each to the method that handles it. */
  onReply?: Readonly<Record<string, SagaMethod>>;
  /** What undoes the step once a later one fails. */
  compensation?: SagaMethod;
}

/**
 * The order saga at one glance (docs/contract.md §2 and §5), in the order it runs; OrderSaga has one method per
 * name. CREATED → CONFIRMED | CANCELLED, nothing else; order-saga.definition.spec.ts runs each line against OrderSaga.
 */
export const ORDER_SAGA = {
  // 0. POST /orders: ORDER_MAX_IN_FLIGHT, the saga backlog, SOLD_OUT from memory, the Idempotency-Key's first answer
  admit: { participant: 'order', invoke: 'admit' },
  // 1. POST /reservations; a SOLD_OUT is remembered for ORDER_SOLD_OUT_MEMORY_MS
  holdStock: { participant: 'inventory', invoke: 'holdStock', compensation: 'releaseHold' },
  // 2. CREATED + order_created in one transaction; a COMMIT whose answer was lost: what Postgres kept decides (202/504)
  record: {
    participant: 'order',
    invoke: 'record',
    onOutcome: {
      failed: 'releaseHoldIfOurs', // 503: the order id given up, and step 1 undone unless a racing request owns it
      racingRequestRefused: 'releaseHoldOrLetExpire', // its refusal; step 1 undone by the deadline, or the hold expires
    },
  },
  // 3. payment consumes order_created, charges at most once, and replies payment_result
  charge: {
    participant: 'payment',
    handler: 'onPaymentResult', // decideOnPayment picks which of these a payment_result leads to
    onReply: {
      succeeded: 'commitHold', // 4. CONFIRMED; a hold expired meanwhile is released: CANCELLED (HOLD_EXPIRED)
      failed: 'releaseHold', // 4. CANCELLED (PAYMENT_DECLINED)
      none: 'onPaymentTimeout', // 4. swept by OrderTimeouts: released, CANCELLED (PAYMENT_TIMEOUT)
      succeededLate: 'refundLateCharge', // 5. after the timeout: the order stays CANCELLED, the charge is refunded
    },
    compensation: 'askForRefund', // 5. every CANCELLED sends order_cancelled: payment refunds its charge, if any
  },
} as const satisfies Readonly<Record<string, SagaStepDefinition>>;
