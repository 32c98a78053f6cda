import type { Queryable } from './read-snapshot';
import type { AuditSettings } from './audit-settings';

/** Orders of a generated sale, by their number i (1..n): what each kind recorded. */
export const GENERATED_KINDS = {
  /** i % 10 in 0..5: paid, ticket sold, CONFIRMED. */
  confirmed: 6,
  /** 6..8: card declined, hold released, CANCELLED. */
  declined: 3,
  /** 9: paid after its payment timeout, hold released, CANCELLED and refunded. */
  refunded: 1,
} as const;

const PRICE = 4200;

/**
 * A sale of `orders` ended orders written straight into the services' tables, as the three services would have
 * recorded it, in a few seconds: one INSERT ... SELECT generate_series per table. Order i is `<eventId>-<i>`; every
 * order holds one ticket; Redis is left alone (a sale not loaded in the gate is no violation).
 */
export async function generateSale(
  db: Queryable,
  { inventory, order, payment }: AuditSettings['schemas'],
  eventId: string,
  orders: number,
): Promise<void> {
  // $1 eventId, $2 orders; k = i % 10 decides the kind (GENERATED_KINDS)
  const series = `FROM generate_series(1, $2::int) i, LATERAL (SELECT i % 10 AS k, $1 || '-' || i AS id) o`;
  const run = (sql: string) => db.query(sql, [eventId, orders]);
  await run(
    `INSERT INTO "${inventory}".sales (event_id, name, total_stock, unit_price, currency, held, sold)
     SELECT $1, 'generated', $2::int, ${PRICE}, 'EUR', 0, count(*) FILTER (WHERE i % 10 < 6)
     FROM generate_series(1, $2::int) i`,
  );
  await run(
    `INSERT INTO "${inventory}".reservations (order_id, event_id, user_id, quantity, unit_price, currency, status, expires_at)
     SELECT o.id, $1, 'u-' || i, 1, ${PRICE}, 'EUR', CASE WHEN k < 6 THEN 'COMMITTED' ELSE 'RELEASED' END, now()
     ${series}`,
  );
  await run(
    `INSERT INTO "${order}".orders
       (order_id, event_id, user_id, quantity, amount, currency, payment_token, status, reason, payment_id,
        created_at, updated_at, step)
     SELECT o.id, $1, 'u-' || i, 1, ${PRICE}, 'EUR', 'tok_visa',
            CASE WHEN k < 6 THEN 'CONFIRMED' ELSE 'CANCELLED' END,
            CASE WHEN k < 6 THEN NULL WHEN k < 9 THEN 'PAYMENT_DECLINED' ELSE 'PAYMENT_TIMEOUT' END,
            'p-' || o.id, now() - ($2::int - i) * interval '6 ms', now(), 'DONE'
     ${series}`,
  );
  await run(
    `INSERT INTO "${payment}".payments
       (payment_id, order_id, status, amount, currency, reason, charge_reference, result_message_id)
     SELECT 'p-' || o.id, o.id, CASE WHEN k < 6 THEN 'SUCCEEDED' WHEN k < 9 THEN 'FAILED' ELSE 'REFUNDED' END,
            ${PRICE}, 'EUR', CASE WHEN k BETWEEN 6 AND 8 THEN 'CARD_DECLINED' END, 'ch_' || o.id, 'm-' || o.id
     ${series}`,
  );
  await run(
    `INSERT INTO "${payment}".gateway_calls (idempotency_key, kind, succeeded, reference, reason, amount, currency)
     SELECT 'charge:' || o.id, 'charge', k NOT BETWEEN 6 AND 8, 'ch_' || o.id,
            CASE WHEN k BETWEEN 6 AND 8 THEN 'CARD_DECLINED' END, ${PRICE}, 'EUR'
     ${series}
     UNION ALL
     SELECT 'refund:' || o.id, 'refund', true, 're_' || o.id, NULL, ${PRICE}, 'EUR' ${series} WHERE k = 9`,
  );
  // As autovacuum would have by the time a sale ends: the planner knows how big the tables are.
  for (const table of [
    `"${inventory}".sales`,
    `"${inventory}".reservations`,
    `"${order}".orders`,
    `"${payment}".payments`,
    `"${payment}".gateway_calls`,
  ]) {
    await db.query(`ANALYZE ${table}`);
  }
}
