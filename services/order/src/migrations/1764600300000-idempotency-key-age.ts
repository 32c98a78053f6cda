import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class IdempotencyKeyAge1764600300000 implements MigrationInterface {
  name = 'IdempotencyKeyAge1764600300000';

  async up(db: QueryRunner): Promise<void> {
    // Keys are forgotten by age (idempotency-key-retention.ts).
    await db.query('CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX idempotency_keys_age');
  }
}
