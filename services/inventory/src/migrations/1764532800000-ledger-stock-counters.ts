import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// The ledger's own count of held and sold tickets per sale, with the rule Redis cannot break: Postgres refuses a
// hold that would sell more than the stock, whatever a stale or replaced Redis believed.
export class LedgerStockCounters1764532800000 implements MigrationInterface {
  name = 'LedgerStockCounters1764532800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE sales
        ADD COLUMN held integer NOT NULL DEFAULT 0,
        ADD COLUMN sold integer NOT NULL DEFAULT 0`);
    await db.query(`
      UPDATE sales s SET
        held = coalesce((SELECT sum(quantity) FROM reservations r WHERE r.event_id = s.event_id AND r.status = 'HELD'), 0),
        sold = coalesce((SELECT sum(quantity) FROM reservations r WHERE r.event_id = s.event_id AND r.status = 'COMMITTED'), 0)`);
    await db.query(`
      ALTER TABLE sales ADD CONSTRAINT sales_not_oversold
        CHECK (held >= 0 AND sold >= 0 AND held + sold <= total_stock)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE sales DROP CONSTRAINT sales_not_oversold');
    await db.query('ALTER TABLE sales DROP COLUMN held, DROP COLUMN sold');
  }
}
