import type { DataSource, EntityManager } from 'typeorm';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { OutcomeUnknownError } from '@boxoffice/errors/domain-error';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import type { Deadline } from '../request/deadline';
import { orderNotTaken } from '../request/order-id-claim';

// The order's transaction holds a lock on its order id until it ends, so that a reader after a lost COMMIT answer
// waits until that transaction is over: a plain read could run while the COMMIT is still on its way or under way.
const ORDER_LOCK_SPACE = 727_003;
const PAUSE_MS = 100;

/**
 * Step 2's transaction: a connection by the deadline or a 503, every statement bounded by the time left (one that
 * runs out is cancelled, and the transaction rolls back), and the order id's lock held until it ends.
 */
export async function inOrderTransaction<T>(
  db: DataSource,
  orderId: string,
  deadline: Deadline,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = db.createQueryRunner();
  const connecting = runner.connect().then(() => true);
  if (!(await deadline.orLate(connecting, () => false))) {
    // Waited for a connection till the deadline: the one that comes later goes back to the pool.
    connecting.then(() => runner.release()).catch(() => undefined);
    throw orderNotTaken('out of time');
  }
  try {
    return await runner.manager.transaction(async (tx) => {
      await tx.query(
        `SELECT set_config('statement_timeout', $3, true), pg_advisory_xact_lock($1, hashtext($2))`,
        [ORDER_LOCK_SPACE, orderId, timeoutOf(deadline.remainingMs)],
      );
      return work(tx);
    });
  } finally {
    await runner.release();
  }
}

/**
 * After the answer to the order transaction's COMMIT was lost: the order if it was recorded, undefined if it
 * provably was not (that transaction is over and left no row). Asks again until `deadline`; past it, throws
 * OUTCOME_UNKNOWN (docs/contract.md §2).
 */
export async function recordedOrder(
  db: DataSource,
  orderId: string,
  deadline: Deadline,
): Promise<OrderView | undefined> {
  for (;;) {
    const attempt = readOnceOver(db, orderId, deadline.remainingMs).then(
      (order) => ({ order }),
      (error: Error) => ({ error }),
    );
    const outcome = await deadline.orLate(attempt, () => ({ error: new Error('no answer in time') }));
    if ('order' in outcome) return outcome.order;
    if (deadline.passed) throw outcomeUnknown(orderId, outcome.error);
    await new Promise((resolve) => setTimeout(resolve, Math.min(PAUSE_MS, deadline.remainingMs)));
  }
}

async function readOnceOver(db: DataSource, orderId: string, waitMs: number): Promise<OrderView | undefined> {
  return db.transaction(async (tx) => {
    // No wait past the time left: the order's transaction still open then (its COMMIT not in yet) is an unknown.
    await tx.query(`SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $1, true)`, [
      timeoutOf(waitMs),
    ]);
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_LOCK_SPACE, orderId]);
    // A statement of its own, so that it sees what the lock waited for.
    const order = await tx.getRepository(Order).findOne({ where: { orderId } });
    return order ? toOrderView(order) : undefined;
  });
}

/** A Postgres timeout setting for `ms`; at least 1, as 0 turns it off. */
function timeoutOf(ms: number): string {
  return String(Math.max(1, Math.ceil(ms)));
}

function outcomeUnknown(orderId: string, cause: Error): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `/orders/${orderId}`,
    `The order may or may not have been recorded (the database did not confirm it: ${cause.message}). ` +
      'Read it at Location, or repeat the request with the same Idempotency-Key.',
  );
}
