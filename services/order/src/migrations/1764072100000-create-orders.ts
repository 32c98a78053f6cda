import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class CreateOrders1764072100000 implements MigrationInterface {
  name = 'CreateOrders1764072100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE orders (
        order_id      varchar(64) PRIMARY KEY,
        event_id      varchar(64) NOT NULL,
        user_id       varchar(64) NOT NULL,
        quantity      integer NOT NULL CHECK (quantity > 0),
        amount        bigint NOT NULL CHECK (amount >= 0),
        currency      char(3) NOT NULL,
        payment_token varchar(64) NOT NULL,
        status        varchar(16) NOT NULL CHECK (status IN ('CREATED', 'CONFIRMED', 'CANCELLED')),
        reason        varchar(64),
        payment_id    varchar(64),
        version       integer NOT NULL DEFAULT 1,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query('CREATE INDEX orders_event ON orders (event_id)');
    await db.query(`CREATE INDEX orders_open ON orders (created_at) WHERE status = 'CREATED'`);
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
    await db.query(`
      CREATE TABLE idempotency_keys (
        key             varchar(255) PRIMARY KEY,
        request_hash    char(64) NOT NULL,
        resource_id     varchar(64) NOT NULL,
        response_status integer,
        response_body   jsonb,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE idempotency_keys');
    await db.query('DROP TABLE outbox');
    await db.query('DROP TABLE orders');
  }
}
