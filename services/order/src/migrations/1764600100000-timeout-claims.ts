import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class TimeoutClaims1764600100000 implements MigrationInterface {
  name = 'TimeoutClaims1764600100000';

  async up(db: QueryRunner): Promise<void> {
    // The timeout sweep's lease on an overdue order: one instance times it out, the others skip it.
    await db.query('ALTER TABLE orders ADD COLUMN timeout_claimed_until timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN timeout_claimed_until');
  }
}
