import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// A key whose attempt failed is marked while that attempt releases its hold (an HTTP call to inventory), instead of
// the key's row being locked in a transaction across the call: a racing request with the key sees the mark (503).
export class IdempotencyKeyReleasing1765411300000 implements MigrationInterface {
  name = 'IdempotencyKeyReleasing1765411300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE idempotency_keys ADD COLUMN releasing_at timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE idempotency_keys DROP COLUMN releasing_at');
  }
}
