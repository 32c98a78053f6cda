import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// When an order left CREATED: cancelled_at for a cancelled one, updated_at for a confirmed one (never changed after).
// The auto waiting rooms count the orders the saga ended in the last seconds (saga-pace.ts) through it, not the table.
export class OrdersEndedIndex1765670500000 implements MigrationInterface {
  name = 'OrdersEndedIndex1765670500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX orders_ended ON orders ((coalesce(cancelled_at, updated_at))) WHERE status <> 'CREATED'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX orders_ended');
  }
}
