import { readHost, readInt, readName, readUrl } from './env';

export interface HttpSettings {
  host: string;
  port: number;
  bodyLimitBytes: number;
}

export interface DatabaseSettings {
  url: string;
  /** The service's own schema; tests give each run one of its own. */
  schema: string;
  poolSize: number;
}

/** `<SERVICE>_HOST`, `<SERVICE>_PORT` and the shared `HTTP_BODY_LIMIT_BYTES`. */
export function readHttpSettings(env: NodeJS.ProcessEnv, service: string, defaultPort: number): HttpSettings {
  return {
    host: readHost(env, `${service}_HOST`, '127.0.0.1'),
    port: readInt(env, `${service}_PORT`, defaultPort, 0, 65535),
    bodyLimitBytes: readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760),
  };
}

/** The shared `DATABASE_URL`, and `<SERVICE>_DB_SCHEMA`, `<SERVICE>_DB_POOL_SIZE`. */
export function readDatabaseSettings(
  env: NodeJS.ProcessEnv,
  service: string,
  defaultSchema: string,
): DatabaseSettings {
  return {
    url: readUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/boxoffice', [
      'postgres:',
      'postgresql:',
    ]),
    schema: readName(env, `${service}_DB_SCHEMA`, defaultSchema),
    poolSize: readInt(env, `${service}_DB_POOL_SIZE`, 20, 1, 500),
  };
}
