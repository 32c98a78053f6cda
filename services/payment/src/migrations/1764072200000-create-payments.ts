import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class CreatePayments1764072200000 implements MigrationInterface {
  name = 'CreatePayments1764072200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payments (
        payment_id        varchar(64) PRIMARY KEY,
        order_id          varchar(64) NOT NULL UNIQUE,
        status            varchar(16) NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED', 'REFUNDED')),
        amount            bigint NOT NULL,
        currency          char(3) NOT NULL,
        reason            varchar(64),
        charge_reference  varchar(64) NOT NULL,
        result_message_id varchar(64) NOT NULL,
        version           integer NOT NULL DEFAULT 1,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    // The simulated processor's own memory of calls, by idempotency key (see simulated-gateway.ts).
    await db.query(`
      CREATE TABLE gateway_calls (
        idempotency_key varchar(128) PRIMARY KEY,
        kind            varchar(8) NOT NULL,
        succeeded       boolean NOT NULL,
        reference       varchar(64) NOT NULL,
        reason          varchar(64),
        amount          bigint NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE outbox (
        id             bigserial PRIMARY KEY,
        message_id     varchar(64) NOT NULL UNIQUE,
        routing_key    varchar(64) NOT NULL,
        correlation_id varchar(64) NOT NULL,
        payload        jsonb NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        sent_at        timestamptz
      )`);
    await db.query('CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE outbox');
    await db.query('DROP TABLE gateway_calls');
    await db.query('DROP TABLE payments');
  }
}
