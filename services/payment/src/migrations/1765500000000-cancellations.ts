import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// A payment is claimed (PENDING, no charge reference yet) before the processor is called, so that a cancellation
// arriving meanwhile waits for the charge instead of answering "not charged" beside it; each call to the processor
// stamps the claim's charging_at first. `cancellations` remembers
// each order_cancelled, even one that came before its order_created, and the payment_cancelled answer sent for it.
export class Cancellations1765500000000 implements MigrationInterface {
  name = 'Cancellations1765500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE payments DROP CONSTRAINT payments_status_check');
    await db.query(`
      ALTER TABLE payments
        ADD CONSTRAINT payments_status CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED')) NOT VALID,
        ALTER COLUMN charge_reference DROP NOT NULL,
        ADD COLUMN decided_at timestamptz,
        ADD COLUMN charging_at timestamptz`);
    await db.query('ALTER TABLE payments VALIDATE CONSTRAINT payments_status');
    // The reconciliation looks for claims last sent to the processor long ago (charging_at), not for old ones.
    await db.query(`CREATE INDEX payments_pending ON payments (charging_at) WHERE status = 'PENDING'`);
    await db.query(`
      CREATE TABLE cancellations (
        order_id     varchar(64) PRIMARY KEY,
        reason       varchar(64) NOT NULL,
        message_id   varchar(64) NOT NULL,
        outcome      varchar(16) CHECK (outcome IN ('not_charged', 'refunded')),
        cancelled_at timestamptz NOT NULL DEFAULT now(),
        settled_at   timestamptz
      )`);
    await db.query(
      'CREATE INDEX cancellations_unsettled ON cancellations (cancelled_at) WHERE outcome IS NULL',
    );
    // The simulated processor keeps the card of each charge (a test token can make its refunds refused) and finds a
    // charge by its reference when asked to refund it.
    await db.query('ALTER TABLE gateway_calls ADD COLUMN payment_token varchar(64)');
    await db.query('CREATE INDEX gateway_calls_reference ON gateway_calls (reference)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX gateway_calls_reference');
    await db.query('ALTER TABLE gateway_calls DROP COLUMN payment_token');
    await db.query('DROP TABLE cancellations');
    await db.query('DROP INDEX payments_pending');
    await db.query(`DELETE FROM payments WHERE status = 'PENDING'`);
    await db.query(`
      ALTER TABLE payments
        DROP CONSTRAINT payments_status,
        DROP COLUMN decided_at,
        DROP COLUMN charging_at,
        ADD CONSTRAINT payments_status_check CHECK (status IN ('SUCCEEDED', 'FAILED', 'REFUNDED'))`);
    await db.query(`UPDATE payments SET charge_reference = '' WHERE charge_reference IS NULL`);
    await db.query('ALTER TABLE payments ALTER COLUMN charge_reference SET NOT NULL');
  }
}
