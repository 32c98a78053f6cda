import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// The order's row is the saga's state (docs/contract.md §2, "The saga's state"): the step it waits in, when the
// saga's driver acts again on it, and which half of a cancellation's compensation is done. Orders not ended yet
// wait for payment, due at once; ended orders are DONE, their compensation taken as complete (the step did not
// exist: nothing recorded it). The step's DEFAULT serves only that backfill and is dropped: every INSERT names its
// step, so a row without one is refused instead of looking like an order waiting for payment. timeout_claimed_until
// is dropped: next_attempt_at is the driver's lease.
export class SagaSteps1765411200000 implements MigrationInterface {
  name = 'SagaSteps1765411200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE orders
        ADD COLUMN step               varchar(16) NOT NULL DEFAULT 'PAYMENT'
          CHECK (step IN ('PAYMENT', 'COMMIT', 'COMPENSATION', 'DONE')),
        ADD COLUMN next_attempt_at    timestamptz,
        ADD COLUMN attempts           integer NOT NULL DEFAULT 0,
        ADD COLUMN cancelled_at       timestamptz,
        ADD COLUMN hold_released_at   timestamptz,
        ADD COLUMN payment_settled_at timestamptz,
        ADD COLUMN payment_settlement varchar(16) CHECK (payment_settlement IN ('not_charged', 'refunded'))`);
    await db.query(`UPDATE orders SET next_attempt_at = now() WHERE status = 'CREATED'`);
    await db.query(`
      UPDATE orders SET step = 'DONE',
        cancelled_at       = CASE WHEN status = 'CANCELLED' THEN updated_at END,
        hold_released_at   = CASE WHEN status = 'CANCELLED' THEN updated_at END,
        payment_settled_at = CASE WHEN status = 'CANCELLED' THEN updated_at END
      WHERE status <> 'CREATED'`);
    await db.query(`ALTER TABLE orders ALTER COLUMN step DROP DEFAULT, DROP COLUMN timeout_claimed_until`);
    await db.query(`CREATE INDEX orders_due ON orders (next_attempt_at) WHERE step <> 'DONE'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX orders_due');
    await db.query(
      `ALTER TABLE orders ADD COLUMN timeout_claimed_until timestamptz, DROP COLUMN step, DROP COLUMN next_attempt_at, DROP COLUMN attempts, DROP COLUMN cancelled_at,
         DROP COLUMN hold_released_at, DROP COLUMN payment_settled_at, DROP COLUMN payment_settlement`,
    );
  }
}
