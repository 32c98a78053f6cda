import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// A room's rate may be "auto" (the controller's, kept in Redis; admit_per_second is then the rate it opens at), and
// a room off remembers since when: turned on again, its counter owes nothing for that time.
export class WaitingRoomAuto1765670400000 implements MigrationInterface {
  name = 'WaitingRoomAuto1765670400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE waiting_rooms
      ADD COLUMN admit_auto boolean NOT NULL DEFAULT false,
      ADD COLUMN disabled_at timestamptz`);
    await db.query('UPDATE waiting_rooms SET disabled_at = updated_at WHERE NOT enabled');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE waiting_rooms DROP COLUMN admit_auto, DROP COLUMN disabled_at');
  }
}
