import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// The outbox relay's retention DELETE (libs/outbox, rows sent more than OUTBOX_RETENTION_HOURS ago) reads this index
// instead of the whole table; pending rows (sent_at NULL) stay out of it.
export class OutboxSentIndex1765411250000 implements MigrationInterface {
  name = 'OutboxSentIndex1765411250000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX outbox_sent');
  }
}
