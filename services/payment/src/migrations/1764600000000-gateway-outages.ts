import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class GatewayOutages1764600000000 implements MigrationInterface {
  name = 'GatewayOutages1764600000000';

  async up(db: QueryRunner): Promise<void> {
    // The simulated processor's outages (see gateway-outage.ts): an operator or a chaos scenario adds a row.
    await db.query(`
      CREATE TABLE gateway_outages (
        id           bigserial PRIMARY KEY,
        error_rate   real NOT NULL CHECK (error_rate BETWEEN 0 AND 1),
        timeout_rate real NOT NULL CHECK (timeout_rate BETWEEN 0 AND 1),
        starts_at    timestamptz NOT NULL DEFAULT now(),
        ends_at      timestamptz NOT NULL,
        CHECK (error_rate + timeout_rate <= 1)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE gateway_outages');
  }
}
