import type { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';

export interface DatabaseSettings {
  url: string;
  /** The service's own schema; tests give each run one of its own. */
  schema: string;
  poolSize: number;
  /** How long a query may wait for Postgres before it fails (a hung network, a stopped server). */
  queryTimeoutMs: number;
}

/** The shared `DATABASE_URL`, and `<SERVICE>_DB_SCHEMA`, `<SERVICE>_DB_POOL_SIZE`, `<SERVICE>_DB_QUERY_TIMEOUT_MS`. */
export function readDatabaseSettings(
  env: EnvReader,
  service: string,
  defaultSchema: string,
): DatabaseSettings {
  return {
    url: env.url('DATABASE_URL', INFRASTRUCTURE_DEFAULTS.databaseUrl, ['postgres:', 'postgresql:']),
    schema: env.name(`${service}_DB_SCHEMA`, defaultSchema),
    poolSize: env.int(`${service}_DB_POOL_SIZE`, 20, 1, 500),
    // Far longer than any query of ours should take, short enough that a request on a dead database gets its 503.
    queryTimeoutMs: env.int(`${service}_DB_QUERY_TIMEOUT_MS`, 10_000, 100, 600_000),
  };
}
