import type { AuditSnapshot, SaleSnapshot } from './audit-snapshot';
import type { Violation } from './find-violations';

/** Per sale, the figures an operator checks after a sale; then queues, outbox and violations. */
export function saleFigures(sale: SaleSnapshot) {
  const count = (predicate: (order: SaleSnapshot['orders'][number]) => boolean) =>
    sale.orders.filter(predicate).length;
  const cancelledBy: Record<string, number> = {};
  for (const order of sale.orders) {
    if (order.status === 'CANCELLED')
      cancelledBy[order.reason ?? '?'] = (cancelledBy[order.reason ?? '?'] ?? 0) + 1;
  }
  return {
    eventId: sale.eventId,
    totalStock: sale.totalStock,
    gate: sale.gate,
    ledger: sale.ledger,
    orders: {
      created: count((o) => o.status === 'CREATED'),
      confirmed: count((o) => o.status === 'CONFIRMED'),
      cancelled: count((o) => o.status === 'CANCELLED'),
      cancelledBy,
    },
    payments: {
      succeeded: count((o) => o.payment === 'SUCCEEDED'),
      failed: count((o) => o.payment === 'FAILED'),
      refunded: count((o) => o.payment === 'REFUNDED'),
    },
    gateway: {
      charges: sale.orders.reduce((sum, o) => sum + o.charges, 0),
      refunds: sale.orders.reduce((sum, o) => sum + o.refunds, 0),
    },
  };
}

export function toJson(snapshot: AuditSnapshot, violations: Violation[]): string {
  return JSON.stringify(
    {
      sales: snapshot.sales.map(saleFigures),
      queues: snapshot.queues,
      unsentOutbox: snapshot.unsentOutbox,
      parkedOutbox: snapshot.parkedOutbox,
      violations,
    },
    null,
    2,
  );
}

export function toText(snapshot: AuditSnapshot, violations: Violation[]): string {
  const counts = (c: { available: number; held: number; sold: number } | null) =>
    c ? `${c.available}/${c.held}/${c.sold}` : 'not loaded';
  const sales = table(
    [
      'sale',
      'total',
      'gate a/h/s',
      'ledger a/h/s',
      'orders ok/cxl/open',
      'cancelled by',
      'payments ok/fail/ref',
      'charges/refunds',
    ],
    snapshot.sales.map((sale) => {
      const f = saleFigures(sale);
      return [
        f.eventId,
        String(f.totalStock),
        counts(f.gate),
        counts(f.ledger),
        `${f.orders.confirmed}/${f.orders.cancelled}/${f.orders.created}`,
        Object.entries(f.orders.cancelledBy)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ') || '-',
        `${f.payments.succeeded}/${f.payments.failed}/${f.payments.refunded}`,
        `${f.gateway.charges}/${f.gateway.refunds}`,
      ];
    }),
  );
  const queues = table(
    ['queue', 'messages', 'dead-letter reasons'],
    snapshot.queues.map((q) => [
      q.name,
      q.messages === null ? 'unknown' : String(q.messages),
      q.deadLetterReasons
        ? Object.entries(q.deadLetterReasons)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ') || '-'
        : '',
    ]),
  );
  const outbox = Object.entries(snapshot.unsentOutbox)
    .map(
      ([schema, n]) => `${schema}.outbox unsent: ${n}, parked: ${snapshot.parkedOutbox[schema]?.count ?? 0}`,
    )
    .join('   ');
  const verdict = violations.length
    ? [
        `${violations.length} VIOLATIONS`,
        ...violations.map((v) => `  ${v.code}  ${v.where}: ${v.detail}`),
      ].join('\n')
    : 'no violations';
  return [sales, '', queues, '', outbox, '', verdict].join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
