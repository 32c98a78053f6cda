import type { AuditSnapshot, OrderSnapshot, ParkedOutbox, SaleSnapshot, StockCounts } from './audit-snapshot';
import { AUDIT_LIMITS, type AuditLimits } from './audit-settings';

export type ViolationCode =
  | 'OVERSOLD'
  | 'SOLD_NOT_CONFIRMED'
  | 'CONSERVATION_BROKEN'
  | 'GATE_DIVERGES_FROM_LEDGER'
  | 'LEDGER_COUNTERS_DRIFT'
  | 'ORDER_NOT_ENDED'
  | 'CHARGED_TWICE'
  | 'CHARGE_NOT_REFUNDED'
  | 'STOCK_NOT_RETURNED'
  /** A ticket sold (committed in inventory) for an order that is not CONFIRMED. */
  | 'SOLD_FOR_UNCONFIRMED_ORDER'
  /** A CANCELLED order still in its compensation longer than AUDIT_COMPENSATION_MAX_AGE_SECONDS after it was cancelled. */
  | 'COMPENSATION_OVERDUE'
  | 'SAGA_QUEUE_NOT_EMPTY'
  | 'SAGA_QUEUE_UNKNOWN'
  | 'UNEXPECTED_DEAD_LETTERS'
  | 'OUTBOX_UNSENT'
  | 'OUTBOX_PARKED'
  /** Found by a chaos scenario, which knows what the buyers were answered: an order kept after a 503. */
  | 'KEPT_WITHOUT_202'
  /** Found by the poison scenario: a message it sent did not land in a DLQ as poison. */
  | 'POISON_NOT_PARKED'
  /** Found by the waiting room's scenarios (chaos/room-checks.ts), which know what the room's buyers were told. */
  | 'ROOM_ENTRIES_BROKEN'
  | 'ROOM_POSITION_MOVED'
  | 'ROOM_ADMITTED_TOO_FAST'
  | 'ORDER_WITHOUT_ADMISSION'
  | 'ADMISSION_BOUGHT_TWICE'
  | 'ROOM_OPEN_WHILE_CLOSED'
  | 'TOKEN_NOT_REFUSED'
  | 'KEPT_FOR_REFUSED'
  | 'ROOM_NOT_TOLD_SOLD_OUT'
  | 'ROOM_TOLD_SOLD_OUT_UNSOLD';

export interface Violation {
  code: ViolationCode;
  /** The sale, queue or schema it is about. */
  where: string;
  detail: string;
}

/** Dead-letter reasons that mean "this message could never be handled": parked on purpose (contract §6.5). */
const POISON_REASONS = new Set(['oversized', 'malformed-json', 'invalid-payload']);
const EXAMPLES = 5;
/** A failure quoted in a detail is cut here: the detail is one line. */
const ERROR_LENGTH = 200;

/** The contract's invariants (docs/contract.md §6), judged on a quiet system. */
export function findViolations(
  snapshot: AuditSnapshot,
  { compensationMaxAgeSeconds }: Pick<AuditLimits, 'compensationMaxAgeSeconds'> = AUDIT_LIMITS,
): Violation[] {
  return [
    ...snapshot.sales.flatMap((sale) => [
      ...saleViolations(sale),
      ...overdueCompensations(sale, snapshot, compensationMaxAgeSeconds),
    ]),
    ...snapshot.queues.flatMap((queue): Violation[] => {
      if (queue.deadLetterReasons) {
        const unexpected = Object.entries(queue.deadLetterReasons).filter(
          ([reason]) => !POISON_REASONS.has(reason),
        );
        if (!unexpected.length) return [];
        const detail = unexpected.map(([reason, count]) => `${count} ${reason}`).join(', ');
        return [{ code: 'UNEXPECTED_DEAD_LETTERS', where: queue.name, detail }];
      }
      if (queue.messages === 0) return [];
      if (queue.messages === null) {
        const detail = 'the broker has not published its count yet (restarted?): run the audit again';
        return [{ code: 'SAGA_QUEUE_UNKNOWN', where: queue.name, detail }];
      }
      return [{ code: 'SAGA_QUEUE_NOT_EMPTY', where: queue.name, detail: `${queue.messages} messages` }];
    }),
    ...Object.entries(snapshot.unsentOutbox).flatMap(([schema, count]): Violation[] =>
      count ? [{ code: 'OUTBOX_UNSENT', where: `${schema}.outbox`, detail: `${count} rows` }] : [],
    ),
    ...Object.entries(snapshot.parkedOutbox).flatMap(([schema, parked]): Violation[] =>
      parked.count
        ? [{ code: 'OUTBOX_PARKED', where: `${schema}.outbox`, detail: describeParked(parked) }]
        : [],
    ),
  ];
}

/** A parked message was never published: its consumer never learnt what it reports. */
function describeParked({ count, examples: rows }: ParkedOutbox): string {
  const ids = rows.map((row) => `${row.messageId} (${row.routingKey})`);
  const [first] = rows;
  const why = first?.lastError
    ? `; the first refused ${first.attempts} times, last: ${first.lastError.slice(0, ERROR_LENGTH)}`
    : '';
  return `${count} rows parked, never sent: ${listed(ids, count)}${why}`;
}

function saleViolations(sale: SaleSnapshot): Violation[] {
  const found: Violation[] = [];
  const add = (code: ViolationCode, detail: string) => found.push({ code, where: sale.eventId, detail });
  for (const [source, counts] of [
    ['ledger', sale.ledger],
    ['gate', sale.gate],
  ] as const) {
    if (!counts) continue;
    if (counts.held + counts.sold > sale.totalStock) {
      add('OVERSOLD', `${source}: ${counts.held} held + ${counts.sold} sold > ${sale.totalStock}`);
    }
    if (counts.available + counts.held + counts.sold !== sale.totalStock || counts.available < 0) {
      add('CONSERVATION_BROKEN', `${source}: ${describe(counts)} for ${sale.totalStock}`);
    }
  }
  if (sale.counters.held !== sale.ledger.held || sale.counters.sold !== sale.ledger.sold) {
    const { held, sold } = sale.counters;
    add(
      'LEDGER_COUNTERS_DRIFT',
      `sale counters held ${held} sold ${sold}, reservations ${describe(sale.ledger)}`,
    );
  }
  if (sale.gate && !sameCounts(sale.gate, sale.ledger)) {
    add('GATE_DIVERGES_FROM_LEDGER', `gate ${describe(sale.gate)}, ledger ${describe(sale.ledger)}`);
  }
  const confirmed = sale.orders.filter((order) => order.status === 'CONFIRMED');
  const confirmedQuantity = confirmed.reduce((sum, order) => sum + order.quantity, 0);
  if (confirmedQuantity !== sale.ledger.sold) {
    add('SOLD_NOT_CONFIRMED', `ledger sold ${sale.ledger.sold}, CONFIRMED orders hold ${confirmedQuantity}`);
  }
  const judge = (code: ViolationCode, what: string, orders: OrderSnapshot[]) => {
    if (orders.length) add(code, `${orders.length} ${what}: ${examples(orders)}`);
  };
  judge('ORDER_NOT_ENDED', 'orders still CREATED', byStatus(sale, 'CREATED'));
  judge(
    'CHARGED_TWICE',
    'orders charged more than once',
    sale.orders.filter((order) => order.charges > 1),
  );
  const cancelled = byStatus(sale, 'CANCELLED');
  judge(
    'CHARGE_NOT_REFUNDED',
    'CANCELLED orders charged and not refunded',
    cancelled.filter((order) => order.charges > order.refunds),
  );
  judge(
    'STOCK_NOT_RETURNED',
    'CANCELLED orders whose tickets are still held',
    cancelled.filter((order) => order.reservation === 'HELD'),
  );
  judge(
    'SOLD_FOR_UNCONFIRMED_ORDER',
    'orders not CONFIRMED whose tickets are sold',
    sale.orders.filter((order) => order.reservation === 'COMMITTED' && order.status !== 'CONFIRMED'),
  );
  return found;
}

/**
 * A compensation not complete long after it started: a participant is down, or its answer is lost and nothing sends
 * the step again. Aged from `cancelled_at`, which recording each half of the compensation does not move.
 */
function overdueCompensations(
  sale: SaleSnapshot,
  snapshot: AuditSnapshot,
  maxAgeSeconds: number,
): Violation[] {
  const since = snapshot.readAt.getTime() - maxAgeSeconds * 1000;
  const overdue = sale.orders.filter(
    (order) =>
      order.status === 'CANCELLED' && order.step === 'COMPENSATION' && order.cancelledAt!.getTime() < since,
  );
  if (!overdue.length) return [];
  const detail = `${overdue.length} CANCELLED orders compensating for more than ${maxAgeSeconds} s: ${examples(overdue)}`;
  return [{ code: 'COMPENSATION_OVERDUE', where: sale.eventId, detail }];
}

function byStatus(sale: SaleSnapshot, status: OrderSnapshot['status']): OrderSnapshot[] {
  return sale.orders.filter((order) => order.status === status);
}

export function sameCounts(a: StockCounts, b: StockCounts): boolean {
  return a.available === b.available && a.held === b.held && a.sold === b.sold;
}

function describe(counts: StockCounts): string {
  return `available ${counts.available} held ${counts.held} sold ${counts.sold}`;
}

function examples(orders: OrderSnapshot[]): string {
  const ids = orders.map((order) => order.orderId);
  return listed(ids, ids.length);
}

/** The first few of `total` things, with an ellipsis when there are more. */
function listed(items: string[], total: number): string {
  const shown = items.slice(0, EXAMPLES).join(', ');
  return total > Math.min(items.length, EXAMPLES) ? `${shown}, …` : shown;
}
