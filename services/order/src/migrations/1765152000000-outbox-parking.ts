import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// A row the broker keeps refusing waits its own backoff instead of blocking the rows behind it, and is parked
// (never claimed again) after OUTBOX_MAX_ATTEMPTS refusals; the relay claims only due rows, through outbox_due.
export class OutboxParking1765152000000 implements MigrationInterface {
  name = 'OutboxParking1765152000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE outbox
        ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error      text,
        ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN parked_at       timestamptz`);
    await db.query('CREATE INDEX outbox_due ON outbox (id) WHERE sent_at IS NULL AND parked_at IS NULL');
    await db.query('DROP INDEX outbox_pending');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL');
    await db.query('DROP INDEX outbox_due');
    await db.query(
      'ALTER TABLE outbox DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN parked_at',
    );
  }
}
