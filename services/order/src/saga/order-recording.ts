import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { withLogFields } from '@boxoffice/logging/log-context';
import { wakeRelaysOf } from '@boxoffice/outbox/in-process-relays';
import { putAllInOutbox } from '@boxoffice/outbox/outbox';
import { decidedByKey } from '../idempotency/idempotent-orders';
import { lockIdempotencyKeys, storeIdempotentResponses } from '../idempotency/idempotency-keys';
import { Deadline } from '../request/deadline';
import { orderNotTaken } from '../request/order-id-claim';
import { Order } from './order.entity';
import { orderCreated } from './order-messages';
import { toOrderView } from './order.view';
import type { OrderToRecord } from './order-saga-types';
import { inOrdersTransaction, outcomeUnknown, recordedOrders } from './order-transaction';

/** An order with less time left than this is recorded alone: a batch's statements are bounded by its earliest deadline. */
const ALONE_UNDER_MS = 250;
/** Orders recorded alone at once, at most (a few of the pool's connections). */
const ALONE_AT_ONCE = 4;

/** A lost COMMIT answer is looked into until the last request's deadline, and at least this long, before it is unknown. */
const LOST_ANSWER_MIN_MS = 1000;

/** Step 2's answer for one order: its 202, or the refusal a racing request with its key was answered. */
export type Recorded = OrderView | DomainError;

const logger = new Logger('order-saga');

/**
 * Step 2's recording, for a batch of orders whose tickets are held: each order row, its order_created and its key's
 * answer, all in one transaction, unless a racing request with the same id (its Idempotency-Key's claim) decided
 * first: then what it decided. Each order gets its own outcome: a batch whose transaction failed before its COMMIT is
 * recorded again order by order, so that one bad order never fails its neighbours; a COMMIT whose answer was lost
 * may have taken effect, and what Postgres kept then decides each answer. An order provably not recorded is the 503.
 * Each waits for payment (step PAYMENT); its order_created is sent again after `firstAttemptMs` unless answered.
 */
export async function recordOrders(
  db: DataSource,
  orders: OrderToRecord[],
  firstAttemptMs: number,
): Promise<ItemOutcome<Recorded>[]> {
  // Out of time while its batch gathered: not begun, so provably not recorded. Nearly out of time: alone, so that
  // its deadline bounds its own transaction, not its neighbours'.
  const left = orders.map(({ deadline }) => deadline.remainingMs);
  const ready = orders.filter((_, index) => left[index] >= ALONE_UNDER_MS);
  const late = orders.filter((_, index) => left[index] > 0 && left[index] < ALONE_UNDER_MS);
  const inBatch = new Set(ready);
  const [together, alone] = await Promise.all([
    ready.length ? recordTogether(db, ready, firstAttemptMs) : new Map<string, ItemOutcome<Recorded>>(),
    recordEachAlone(db, late, firstAttemptMs),
  ]);
  // Each its own group's outcome (twins split between the two are answered by the Idempotency-Key's protocol).
  return orders.map(
    (order) =>
      (inBatch.has(order) ? together : alone).get(order.orderId) ?? rejected(orderNotTaken('out of time')),
  );
}

/** The outcome of each order id of `orders` (racing requests with one key share theirs). */
async function recordTogether(
  db: DataSource,
  orders: OrderToRecord[],
  firstAttemptMs: number,
): Promise<Map<string, ItemOutcome<Recorded>>> {
  const byId = new Map(orders.map((order) => [order.orderId, order]));
  const deadline = Deadline.earliest(orders.map((order) => order.deadline));
  const decided = new Map<string, ItemOutcome<Recorded>>();
  let inserted: string[] = [];
  let committing = false;
  try {
    await inOrdersTransaction(db, [...byId.keys()], deadline, async (tx) => {
      const toInsert = await decideByKeys(tx, [...byId.values()], decided);
      const views = await insertOrders(tx, toInsert, firstAttemptMs);
      await storeIdempotentResponses(
        tx,
        toInsert.flatMap(({ claim }, index) =>
          claim.key ? [{ key: claim.key, response: { status: 202, body: views[index] } }] : [],
        ),
      );
      inserted = views.map(({ orderId }) => orderId);
      views.forEach((view) => decided.set(view.orderId, { status: 'fulfilled', value: view }));
      committing = true;
    });
    return decided;
  } catch (error) {
    // A DomainError is a COMMIT not sent (out of time): nothing was kept, as before it.
    if (committing && !(error instanceof DomainError))
      return answerLostCommit(db, byId, inserted, decided, error as Error);
    // Nothing recorded: each order with time left is tried again in a transaction of its own.
    if (byId.size > 1) return recordEachAlone(db, [...byId.values()], firstAttemptMs);
    if (error instanceof DomainError) return everyOne(byId, rejected(error)); // no connection in time
    return everyOne(byId, rejected(orderNotTaken()), (orderId) =>
      logger.warn(`order ${orderId} not recorded: ${(error as Error).message}`),
    );
  }
}

/**
 * Reads the keys of the keyed orders under lock: an order whose key a racing request answered gets that answer, one
 * whose key was given up the 503 (in `decided`); the orders returned are the ones to insert.
 */
async function decideByKeys(
  tx: EntityManager,
  orders: OrderToRecord[],
  decided: Map<string, ItemOutcome<Recorded>>,
): Promise<OrderToRecord[]> {
  const keys = orders.flatMap(({ claim }) => (claim.key ? [claim.key] : []));
  const records = await lockIdempotencyKeys(tx, keys);
  return orders.filter(({ orderId, claim }) => {
    if (!claim.key) return true;
    try {
      const first = decidedByKey(records.get(claim.key), orderId);
      if (first) decided.set(orderId, { status: 'fulfilled', value: first });
      return !first;
    } catch (error) {
      decided.set(orderId, rejected(error));
      return false;
    }
  });
}

/** The rows (CREATED, waiting in PAYMENT) and their order_created, two statements for any number of orders. */
async function insertOrders(
  tx: EntityManager,
  orders: OrderToRecord[],
  firstAttemptMs: number,
): Promise<OrderView[]> {
  if (orders.length === 0) return [];
  const rows = orders.map(({ orderId, request, hold }) =>
    Object.assign(new Order(), {
      ...request,
      orderId,
      amount: hold.unitPrice * hold.quantity,
      currency: hold.currency,
      status: 'CREATED',
      step: 'PAYMENT',
      reason: null,
      paymentId: null,
    }),
  );
  // The saga's driver sends order_created again this long after, on Postgres's clock, unless payment answered.
  const stamps = (await tx.query(
    `INSERT INTO orders (order_id, event_id, user_id, quantity, amount, currency, payment_token, status, step,
       next_attempt_at)
     SELECT o.*, 'CREATED', 'PAYMENT', now() + make_interval(secs => $8)
     FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::int[], $5::bigint[], $6::char(3)[], $7::varchar[]) AS o
     RETURNING order_id AS "orderId", version, attempts, created_at AS "createdAt", updated_at AS "updatedAt"`,
    [
      rows.map((row) => row.orderId),
      rows.map((row) => row.eventId),
      rows.map((row) => row.userId),
      rows.map((row) => row.quantity),
      rows.map((row) => row.amount),
      rows.map((row) => row.currency),
      rows.map((row) => row.paymentToken),
      firstAttemptMs / 1000,
    ],
  )) as Array<Pick<Order, 'orderId' | 'version' | 'attempts' | 'createdAt' | 'updatedAt'>>;
  const stampOf = new Map(stamps.map((stamp) => [stamp.orderId, stamp]));
  rows.forEach((row) => Object.assign(row, stampOf.get(row.orderId)));
  await putAllInOutbox(tx, rows.map(orderCreated));
  return rows.map(toOrderView);
}

/**
 * The answer to the COMMIT was lost: what Postgres kept decides. An order inserted is its 202 if its row is there and
 * the 503 if provably not; past the deadline, OUTCOME_UNKNOWN. Those decided by their key keep that answer. Found
 * kept, its order_created is relayed at once, as after any commit.
 */
async function answerLostCommit(
  db: DataSource,
  byId: Map<string, OrderToRecord>,
  inserted: string[],
  decided: Map<string, ItemOutcome<Recorded>>,
  error: Error,
): Promise<Map<string, ItemOutcome<Recorded>>> {
  const last = Deadline.latest([...byId.values()].map(({ deadline }) => deadline));
  const kept = await recordedOrders(db, inserted, last.atLeast(LOST_ANSWER_MIN_MS));
  // Kept: its order_created rows are there, and this process's relay, which no commit woke, relays them now.
  if ('recorded' in kept && kept.recorded.size) wakeRelaysOf(db);
  for (const orderId of inserted) {
    withLogFields({ orderId }, () => {
      if ('unknown' in kept) return decided.set(orderId, rejected(outcomeUnknown(orderId, kept.unknown)));
      const view = kept.recorded.get(orderId);
      if (!view) {
        logger.warn(`order ${orderId} not recorded: ${error.message}`);
        return decided.set(orderId, rejected(orderNotTaken()));
      }
      logger.warn(`order ${orderId} recorded, though the answer to its COMMIT was lost: ${error.message}`);
      return decided.set(orderId, { status: 'fulfilled', value: view });
    });
  }
  return decided;
}

/**
 * Orders recorded one per transaction, ALONE_AT_ONCE at a time (a failed batch must not take the whole pool): each
 * fails, if at all, alone; one whose deadline passed meanwhile is not begun (the 503).
 */
async function recordEachAlone(
  db: DataSource,
  orders: OrderToRecord[],
  firstAttemptMs: number,
): Promise<Map<string, ItemOutcome<Recorded>>> {
  const outcomes = new Map<string, ItemOutcome<Recorded>>();
  const queue = [...orders];
  const worker = async () => {
    for (let order = queue.shift(); order; order = queue.shift()) {
      const recorded = order.deadline.passed
        ? new Map([[order.orderId, rejected(orderNotTaken('out of time'))]])
        : await recordTogether(db, [order], firstAttemptMs);
      for (const [orderId, outcome] of recorded) outcomes.set(orderId, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ALONE_AT_ONCE, queue.length) }, worker));
  return outcomes;
}

function everyOne(
  byId: Map<string, OrderToRecord>,
  outcome: ItemOutcome<Recorded>,
  log?: (orderId: string) => void,
): Map<string, ItemOutcome<Recorded>> {
  for (const orderId of byId.keys()) withLogFields({ orderId }, () => log?.(orderId));
  return new Map([...byId.keys()].map((orderId) => [orderId, outcome]));
}

function rejected(reason: unknown): ItemOutcome<never> {
  return { status: 'rejected', reason };
}
