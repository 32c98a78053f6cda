import type { AuditSnapshot, OrderSnapshot, SaleSnapshot } from './audit-snapshot';
import { findViolations } from './find-violations';

const READ_AT = new Date('2026-12-06T02:00:00Z');
const secondsBefore = (seconds: number) => new Date(READ_AT.getTime() - seconds * 1000);

const order = (over: Partial<OrderSnapshot>): OrderSnapshot => ({
  orderId: 'o-1',
  quantity: 1,
  status: 'CONFIRMED',
  reason: null,
  reservation: 'COMMITTED',
  payment: 'SUCCEEDED',
  charges: 1,
  refunds: 0,
  step: 'DONE',
  cancelledAt: null,
  ...over,
});

/** o-3, timed out after it was paid a minute ago: charged once, its hold released. */
const cancelled = (over: Partial<OrderSnapshot>): OrderSnapshot =>
  order({
    orderId: 'o-3',
    status: 'CANCELLED',
    reason: 'PAYMENT_TIMEOUT',
    reservation: 'RELEASED',
    cancelledAt: secondsBefore(60),
    ...over,
  });

/** A quiet, correct sale of 3: two sold, one declined and given back. */
const sale = (over: Partial<SaleSnapshot> = {}): SaleSnapshot => ({
  eventId: 'final',
  totalStock: 3,
  ledger: { available: 1, held: 0, sold: 2 },
  counters: { held: 0, sold: 2 },
  gate: { available: 1, held: 0, sold: 2 },
  orders: [
    order({ orderId: 'o-1' }),
    order({ orderId: 'o-2' }),
    order({
      orderId: 'o-3',
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      reservation: 'RELEASED',
      payment: 'FAILED',
      charges: 0,
      cancelledAt: secondsBefore(60),
    }),
  ],
  ...over,
});

const snapshot = (over: Partial<AuditSnapshot> = {}): AuditSnapshot => ({
  sales: [sale()],
  queues: [
    { name: 'payment.order_created', messages: 0 },
    { name: 'payment.order_created.dlq', messages: 0, deadLetterReasons: {} },
  ],
  unsentOutbox: { orders: 0, payment: 0 },
  parkedOutbox: { orders: { count: 0, examples: [] }, payment: { count: 0, examples: [] } },
  readAt: READ_AT,
  ...over,
});

const codes = (s: AuditSnapshot) => findViolations(s).map((v) => `${v.code} ${v.where}`);

describe('findViolations', () => {
  it('given a quiet, correct sale, when audited, then there is no violation', () => {
    expect(findViolations(snapshot())).toEqual([]);
  });

  it('given Redis not loaded (wiped), when audited, then that alone is no violation', () => {
    expect(findViolations(snapshot({ sales: [sale({ gate: null })] }))).toEqual([]);
  });

  it('given more held plus sold than the stock in the gate, when audited, then OVERSOLD and the gate diverges', () => {
    const oversold = sale({ gate: { available: -1, held: 0, sold: 4 } });
    expect(codes(snapshot({ sales: [oversold] }))).toEqual([
      'OVERSOLD final',
      'CONSERVATION_BROKEN final',
      'GATE_DIVERGES_FROM_LEDGER final',
    ]);
  });

  it('given sale counters that differ from the reservations, when audited, then LEDGER_COUNTERS_DRIFT', () => {
    expect(codes(snapshot({ sales: [sale({ counters: { held: 1, sold: 2 } })] }))).toEqual([
      'LEDGER_COUNTERS_DRIFT final',
    ]);
  });

  it('given a gate whose counts do not add up, when audited, then CONSERVATION_BROKEN', () => {
    const broken = sale({ gate: { available: 2, held: 0, sold: 2 } });
    expect(codes(snapshot({ sales: [broken] }))).toEqual([
      'CONSERVATION_BROKEN final',
      'GATE_DIVERGES_FROM_LEDGER final',
    ]);
  });

  it('given sold tickets no CONFIRMED order accounts for, when audited, then SOLD_NOT_CONFIRMED', () => {
    const [first, , declined] = sale().orders;
    expect(codes(snapshot({ sales: [sale({ orders: [first, declined] })] }))).toEqual([
      'SOLD_NOT_CONFIRMED final',
    ]);
  });

  it('given an order still CREATED, when audited, then ORDER_NOT_ENDED names it', () => {
    const open = order({ orderId: 'o-9', status: 'CREATED', reservation: 'HELD', payment: null, charges: 0 });
    const pending = sale({
      ledger: { available: 0, held: 1, sold: 2 },
      counters: { held: 1, sold: 2 },
      gate: null,
      orders: [...sale().orders, open],
    });
    const violations = findViolations(snapshot({ sales: [pending] }));
    expect(violations).toEqual([
      { code: 'ORDER_NOT_ENDED', where: 'final', detail: '1 orders still CREATED: o-9' },
    ]);
  });

  it('given a CANCELLED order charged twice, never refunded and still holding stock, when audited, then each is named', () => {
    const bad = order({
      orderId: 'o-3',
      status: 'CANCELLED',
      reason: 'PAYMENT_TIMEOUT',
      reservation: 'HELD',
      payment: 'SUCCEEDED',
      charges: 2,
      refunds: 1,
    });
    const [first, second] = sale().orders;
    const s = sale({
      ledger: { available: 0, held: 1, sold: 2 },
      counters: { held: 1, sold: 2 },
      gate: null,
      orders: [first, second, bad],
    });
    expect(codes(snapshot({ sales: [s] }))).toEqual([
      'CHARGED_TWICE final',
      'CHARGE_NOT_REFUNDED final',
      'STOCK_NOT_RETURNED final',
    ]);
  });

  it('given a refunded charge of a CANCELLED order, when audited, then it is fine', () => {
    const refunded = order({
      orderId: 'o-3',
      status: 'CANCELLED',
      reason: 'HOLD_EXPIRED',
      reservation: 'RELEASED',
      payment: 'REFUNDED',
      charges: 1,
      refunds: 1,
    });
    const [first, second] = sale().orders;
    expect(findViolations(snapshot({ sales: [sale({ orders: [first, second, refunded] })] }))).toEqual([]);
  });

  it('given messages left in a saga queue, a queue whose count is unknown, dead letters that are not poison and unsent outbox rows, when audited, then each is named', () => {
    const busy = snapshot({
      queues: [
        { name: 'order.payment_result.retry', messages: 2 },
        { name: 'payment.order_cancelled', messages: null },
        {
          name: 'payment.order_created.dlq',
          messages: 3,
          deadLetterReasons: { 'malformed-json': 2, 'attempts-exhausted': 1 },
        },
        { name: 'payment.order_cancelled.dlq', messages: 1, deadLetterReasons: { 'invalid-payload': 1 } },
      ],
      unsentOutbox: { orders: 4, payment: 0 },
    });
    expect(findViolations(busy)).toEqual([
      { code: 'SAGA_QUEUE_NOT_EMPTY', where: 'order.payment_result.retry', detail: '2 messages' },
      {
        code: 'SAGA_QUEUE_UNKNOWN',
        where: 'payment.order_cancelled',
        detail: 'the broker has not published its count yet (restarted?): run the audit again',
      },
      { code: 'UNEXPECTED_DEAD_LETTERS', where: 'payment.order_created.dlq', detail: '1 attempts-exhausted' },
      { code: 'OUTBOX_UNSENT', where: 'orders.outbox', detail: '4 rows' },
    ]);
  });

  it('given outbox rows the relay parked, when audited, then OUTBOX_PARKED names how many, the first few and why', () => {
    const parked = (messageId: string) => ({
      messageId,
      routingKey: 'order_created',
      attempts: 10,
      lastError: 'broker did not accept the message: message nacked',
    });
    const stuck = snapshot({
      parkedOutbox: {
        orders: { count: 7, examples: ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'].map(parked) },
        payment: { count: 0, examples: [] },
      },
    });

    expect(findViolations(stuck)).toEqual([
      {
        code: 'OUTBOX_PARKED',
        where: 'orders.outbox',
        detail:
          '7 rows parked, never sent: m-1 (order_created), m-2 (order_created), m-3 (order_created), ' +
          'm-4 (order_created), m-5 (order_created), …; ' +
          'the first refused 10 times, last: broker did not accept the message: message nacked',
      },
    ]);
  });

  it('given a CANCELLED order whose charge the processor still holds (charged, never refunded), when audited, then CHARGE_NOT_REFUNDED names it', () => {
    // the charge's answer was lost: payment has no row, the processor has the charge
    const held = cancelled({ payment: null });
    const [first, second] = sale().orders;

    const violations = findViolations(snapshot({ sales: [sale({ orders: [first, second, held] })] }));

    expect(violations).toEqual([
      {
        code: 'CHARGE_NOT_REFUNDED',
        where: 'final',
        detail: '1 CANCELLED orders charged and not refunded: o-3',
      },
    ]);
  });

  it('given a ticket sold for an order that ended CANCELLED while the counts still agree, when audited, then SOLD_FOR_UNCONFIRMED_ORDER names it', () => {
    // sold 2, confirmed 2: the sale's counts agree, yet o-3's ticket is sold and o-2's is not
    const [first, second] = sale().orders;
    const unsold = { ...second, reservation: 'RELEASED' as const };
    const sold = cancelled({ reservation: 'COMMITTED', payment: 'REFUNDED', refunds: 1 });

    const violations = findViolations(snapshot({ sales: [sale({ orders: [first, unsold, sold] })] }));

    expect(violations).toEqual([
      {
        code: 'SOLD_FOR_UNCONFIRMED_ORDER',
        where: 'final',
        detail: '1 orders not CONFIRMED whose tickets are sold: o-3',
      },
    ]);
  });

  it('given CANCELLED orders compensating since 121 s and 119 s, and one complete since 600 s, when audited with a limit of 120 s, then COMPENSATION_OVERDUE names only the first', () => {
    // the age runs from cancelledAt, when the compensation began, whatever half of it was recorded since
    const compensating = (orderId: string, seconds: number) =>
      cancelled({ orderId, refunds: 1, step: 'COMPENSATION', cancelledAt: secondsBefore(seconds) });
    const complete = cancelled({ orderId: 'o-5', refunds: 1, cancelledAt: secondsBefore(600) });
    const [first, second] = sale().orders;
    const s = sale({
      totalStock: 5,
      ledger: { available: 3, held: 0, sold: 2 },
      gate: null,
      orders: [first, second, compensating('o-3', 121), compensating('o-4', 119), complete],
    });

    const violations = findViolations(snapshot({ sales: [s] }), { compensationMaxAgeSeconds: 120 });

    expect(violations).toEqual([
      {
        code: 'COMPENSATION_OVERDUE',
        where: 'final',
        detail: '1 CANCELLED orders compensating for more than 120 s: o-3',
      },
    ]);
  });
});
