import type { EntityManager } from 'typeorm';

// pg_advisory lock spaces, one per owner, all in the one database the services share: 727_001 migrations
// (libs/database), 727_002 inventory's sales, 727_003 order's orders, 727_004 payment's orders, 727_005
// inventory's orders. Keep them distinct: two owners locking one id in one space block each other.
// Recording a hold takes the sale's lock shared; rebuilding the gate from the ledger takes it exclusive,
// so a rebuild never reads the ledger while a hold it cannot see yet is being recorded.
const SALE_LOCK_SPACE = 727_002;
// Recording a hold also takes its order id's lock shared; releasing an order id the ledger has no row for takes it
// exclusive, so that release never stops the sale's other holds (it used to take the sale's lock exclusive).
const ORDER_LOCK_SPACE = 727_005;

export async function lockSaleShared(db: EntityManager, eventId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', [SALE_LOCK_SPACE, eventId]);
}

/** What recording a hold takes, in one round trip: its order id's lock, then its sale's, both shared. */
export async function lockHoldRecording(db: EntityManager, eventId: string, orderId: string): Promise<void> {
  await db.query(
    'SELECT pg_advisory_xact_lock_shared($1, hashtext($2)), pg_advisory_xact_lock_shared($3, hashtext($4))',
    [ORDER_LOCK_SPACE, orderId, SALE_LOCK_SPACE, eventId],
  );
}

/**
 * What recording many holds takes, in one round trip: each order id's lock, then each sale's, all shared, each kind
 * in sorted order, so that two batches sharing ids and an exclusive waiter between them never wait in a cycle.
 */
export async function lockHoldsRecording(
  db: EntityManager,
  eventIds: string[],
  orderIds: string[],
): Promise<void> {
  const orders = [...new Set(orderIds)].sort();
  const sales = [...new Set(eventIds)].sort();
  const spaces = [...orders.map(() => ORDER_LOCK_SPACE), ...sales.map(() => SALE_LOCK_SPACE)];
  await db.query(
    `SELECT count(pg_advisory_xact_lock_shared(l.space, hashtext(l.id)))
     FROM unnest($1::int[], $2::text[]) AS l(space, id)`,
    [spaces, [...orders, ...sales]],
  );
}

export async function lockOrderExclusive(db: EntityManager, orderId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_LOCK_SPACE, orderId]);
}

export async function lockSaleExclusive(db: EntityManager, eventId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SALE_LOCK_SPACE, eventId]);
}
