import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
export class CreateSalesAndReservations1764072000000 implements MigrationInterface {
  name = 'CreateSalesAndReservations1764072000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE sales (
        event_id       varchar(64) PRIMARY KEY,
        name           varchar(200) NOT NULL,
        total_stock    integer NOT NULL CHECK (total_stock >= 0),
        unit_price     integer NOT NULL CHECK (unit_price >= 0),
        currency       char(3) NOT NULL,
        per_user_limit integer NOT NULL DEFAULT 0 CHECK (per_user_limit >= 0),
        version        integer NOT NULL DEFAULT 1,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE reservations (
        order_id    varchar(64) PRIMARY KEY,
        event_id    varchar(64) NOT NULL REFERENCES sales (event_id),
        user_id     varchar(64) NOT NULL,
        quantity    integer NOT NULL CHECK (quantity > 0),
        unit_price  integer NOT NULL,
        currency    char(3) NOT NULL,
        status      varchar(16) NOT NULL CHECK (status IN ('HELD', 'COMMITTED', 'RELEASED')),
        expires_at  timestamptz NOT NULL,
        version     integer NOT NULL DEFAULT 1,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX reservations_event_status ON reservations (event_id, status)`);
    await db.query(
      `CREATE INDEX reservations_held_expiry ON reservations (expires_at) WHERE status = 'HELD'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE reservations');
    await db.query('DROP TABLE sales');
  }
}
