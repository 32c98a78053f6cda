import { MigrationInterface, QueryRunner } from 'typeorm';

// DDL frozen as it was applied: a later change is a new migration, never an edit here.
// The W3C trace context current when a row was written ({"traceparent": ..., "tracestate"?: ...}), so that the relay,
// publishing later outside the request, continues that trace. Null with tracing off and for older rows.
export class OutboxTraceContext1765238500000 implements MigrationInterface {
  name = 'OutboxTraceContext1765238500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE outbox ADD COLUMN trace_context jsonb');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE outbox DROP COLUMN trace_context');
  }
}
