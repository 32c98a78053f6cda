import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { QueryTimeoutClient } from './query-timeout.client';

export interface DatabaseOptions {
  url: string;
  /** Each service owns one schema; tests use a schema of their own per run. */
  schema: string;
  poolSize: number;
  /** A query Postgres has not answered within this fails with "Query read timeout" (a 503, a retry). */
  queryTimeoutMs: number;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
}

const MIGRATION_LOCK = 727_001;

/** Creates the schema if needed, runs pending migrations one instance at a time, and opens the pool. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await createSchema(options.url, options.schema);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    extra: {
      max: options.poolSize,
      options: `-c search_path=${options.schema}`,
      connectionTimeoutMillis: 3000,
      // A request waiting on a dead database must fail fast (503), not hang. A slow statement is cancelled by the
      // server first (57014, the connection stays usable); the client gives up only on a server that says nothing.
      statement_timeout: statementTimeoutOf(options.queryTimeoutMs),
      query_timeout: options.queryTimeoutMs,
      Client: QueryTimeoutClient,
    },
  });
  await dataSource.initialize();
  await runMigrationsExclusively(dataSource);
  return dataSource;
}

/** A tenth below the query timeout: time for the server's cancellation to come back before the client stops waiting. */
function statementTimeoutOf(queryTimeoutMs: number): number {
  return Math.floor(queryTimeoutMs * 0.9);
}

async function createSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two instances racing to create the schema: the loser sees a unique violation.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations();
    if (applied.length) new Logger('database').log(`applied ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
