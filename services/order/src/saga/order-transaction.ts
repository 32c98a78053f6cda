import type { Client } from 'pg';
import { In, type DataSource, type EntityManager } from 'typeorm';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { OutcomeUnknownError } from '@boxoffice/errors/domain-error';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import type { Deadline } from '../request/deadline';
import { orderNotTaken } from '../request/order-id-claim';
import { boundByDeadline } from './transaction-deadline';

// The orders' transaction holds a lock on each order id until it ends, so that a reader after a lost COMMIT answer
// waits until that transaction is over: a plain read could run while the COMMIT is still on its way or under way.
// Taken in the order of the keys locked, not of the ids: two ids may hash to one key, or to keys in the other order,
// and only one order over what is locked keeps two transactions sharing ids (racing requests with one key) from
// waiting in a cycle.
const ORDER_LOCK_SPACE = 727_003;
const PAUSE_MS = 100;

const LOCK_IDS = `SELECT count(pg_advisory_xact_lock($1, key))
  FROM (SELECT DISTINCT hashtext(id) AS key FROM unnest($2::varchar[]) AS id ORDER BY key) AS keys`;

/**
 * Step 2's transaction, for a batch of orders: a connection by the deadline or a 503, the whole transaction bounded
 * by the deadline up to its COMMIT (the statement running then is cancelled, none is begun after it, and it rolls
 * back: see boundByDeadline), and the order ids' locks held until it ends. A COMMIT not sent by the deadline throws
 * orderNotTaken, as nothing was kept.
 */
export async function inOrdersTransaction<T>(
  db: DataSource,
  orderIds: string[],
  deadline: Deadline,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = db.createQueryRunner();
  const connecting = runner.connect() as Promise<Client>;
  const client = await deadline.orLate(connecting, () => undefined);
  if (!client) {
    // Waited for a connection till the deadline: the one that comes later goes back to the pool.
    connecting.then(() => runner.release()).catch(() => undefined);
    throw orderNotTaken('out of time');
  }
  const bound = boundByDeadline(runner, client, deadline);
  try {
    return await runner.manager.transaction(async (tx) => {
      // The server's own bound too, should the cancel not reach it: no statement outlives the time left now.
      await tx.query(`SELECT set_config('statement_timeout', $3, true), (${LOCK_IDS})`, [
        ORDER_LOCK_SPACE,
        orderIds,
        timeoutOf(deadline.remainingMs),
      ]);
      return work(tx);
    });
  } finally {
    // A connection a cancel was sent to leaves the pool (ended, the pool drops it): a late one must hit no one else.
    if (await bound.end()) await client.end().catch(() => undefined);
    await runner.release();
  }
}

/**
 * After the answer to the orders transaction's COMMIT was lost: the orders that were recorded, by id; one not there
 * provably was not (that transaction is over and left no row). Asks again until `deadline`; past it, the error that
 * kept it from knowing (each order's outcome is then unknown: see outcomeUnknown).
 */
export async function recordedOrders(
  db: DataSource,
  orderIds: string[],
  deadline: Deadline,
): Promise<{ recorded: Map<string, OrderView> } | { unknown: Error }> {
  for (;;) {
    const attempt = readOnceOver(db, orderIds, deadline.remainingMs).then(
      (orders) => ({ orders }),
      (error: Error) => ({ error }),
    );
    const outcome = await deadline.orLate(attempt, () => ({ error: new Error('no answer in time') }));
    if ('orders' in outcome) return { recorded: outcome.orders };
    if (deadline.passed) return { unknown: outcome.error };
    await new Promise((resolve) => setTimeout(resolve, Math.min(PAUSE_MS, deadline.remainingMs)));
  }
}

async function readOnceOver(
  db: DataSource,
  orderIds: string[],
  waitMs: number,
): Promise<Map<string, OrderView>> {
  return db.transaction(async (tx) => {
    // No wait past the time left: the order's transaction still open then (its COMMIT not in yet) is an unknown.
    await tx.query(`SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $1, true)`, [
      timeoutOf(waitMs),
    ]);
    await tx.query(LOCK_IDS, [ORDER_LOCK_SPACE, orderIds]);
    // A statement of its own, so that it sees what the locks waited for.
    const orders = await tx.getRepository(Order).findBy({ orderId: In(orderIds) });
    return new Map(orders.map((order) => [order.orderId, toOrderView(order)]));
  });
}

/** A Postgres timeout setting for `ms`; at least 1, as 0 turns it off. */
function timeoutOf(ms: number): string {
  return String(Math.max(1, Math.ceil(ms)));
}

/** OUTCOME_UNKNOWN (docs/contract.md §2): the order may or may not be recorded, and its buyer is told where to look. */
export function outcomeUnknown(orderId: string, cause: Error): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `/orders/${orderId}`,
    `The order may or may not have been recorded (the database did not confirm it: ${cause.message}). ` +
      'Read it at Location, or repeat the request with the same Idempotency-Key.',
  );
}
