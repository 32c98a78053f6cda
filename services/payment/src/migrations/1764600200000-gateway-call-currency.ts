import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class GatewayCallCurrency1764600200000 implements MigrationInterface {
  name = 'GatewayCallCurrency1764600200000';

  async up(db: QueryRunner): Promise<void> {
    // The processor's record of a charge is complete enough to record a payment from (charge reconciliation).
    await db.query('ALTER TABLE gateway_calls ADD COLUMN currency char(3)');
    await db.query(`CREATE INDEX gateway_calls_charges ON gateway_calls (created_at) WHERE kind = 'charge'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX gateway_calls_charges');
    await db.query('ALTER TABLE gateway_calls DROP COLUMN currency');
  }
}
