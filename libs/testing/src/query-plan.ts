import type { DataSourceOptions } from 'typeorm';
import { openDatabase } from '@boxoffice/database/open-database';
import { TEST_DATABASE_URL, testNamespace } from './test-namespace';

/**
 * The plan Postgres makes for `sql` on a schema built by `migrations`, with sequential scans discouraged: on a table
 * this small the planner would read it whole anyway, so a plan without a seq scan is what tells that an index can
 * serve the statement.
 */
export async function planOf(
  label: string,
  migrations: DataSourceOptions['migrations'],
  sql: string,
  parameters: unknown[],
): Promise<string> {
  const namespace = testNamespace(label);
  const db = await openDatabase({
    url: TEST_DATABASE_URL,
    schema: namespace.schema,
    poolSize: 2,
    queryTimeoutMs: 10_000,
    entities: [],
    migrations,
  });
  try {
    return await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows: { 'QUERY PLAN': string }[] = await tx.query(`EXPLAIN ${sql}`, parameters);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  } finally {
    await db.destroy();
    await namespace.dispose();
  }
}
