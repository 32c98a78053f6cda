import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable } from '@boxoffice/outbox/outbox';
import { createIdempotencyKeysTable } from '@boxoffice/platform/idempotency/idempotency-keys';

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
    await createOutboxTable(db);
    await createIdempotencyKeysTable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE idempotency_keys');
    await db.query('DROP TABLE outbox');
    await db.query('DROP TABLE orders');
  }
}
