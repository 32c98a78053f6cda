import type { EntityManager } from 'typeorm';

// Recording a hold takes the sale's lock shared; rebuilding the gate from the ledger takes it exclusive,
// so a rebuild never reads the ledger while a hold it cannot see yet is being recorded.
const SALE_LOCK_SPACE = 727_002;

export async function lockSaleShared(db: EntityManager, eventId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', [SALE_LOCK_SPACE, eventId]);
}

export async function lockSaleExclusive(db: EntityManager, eventId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SALE_LOCK_SPACE, eventId]);
}
