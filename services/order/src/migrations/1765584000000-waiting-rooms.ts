import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// A sale's waiting room settings (issue 23). Durable here, the queue itself in Redis: a Redis wiped with a room
// enabled closes the room (503) instead of letting everyone in, because Postgres still says it is on.
export class WaitingRooms1765584000000 implements MigrationInterface {
  name = 'WaitingRooms1765584000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE waiting_rooms (
      event_id text PRIMARY KEY,
      enabled boolean NOT NULL,
      admit_per_second integer NOT NULL CHECK (admit_per_second BETWEEN 1 AND 10000),
      pre_queue_until timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE waiting_rooms');
  }
}
