import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';

// Tests use the servers the services would use: the same variables, the same defaults.
export const TEST_DATABASE_URL = process.env.DATABASE_URL || INFRASTRUCTURE_DEFAULTS.databaseUrl;
export const TEST_REDIS_URL = process.env.REDIS_URL || INFRASTRUCTURE_DEFAULTS.redisUrl;

/** One run's private corner of the shared Postgres and Redis: its own schemas and key prefix. */
export interface TestNamespace {
  id: string;
  /** The run's schema; a run with several services names theirs `<id>_<service>`. */
  schema: string;
  redisPrefix: string;
  /** Drops every schema named after the run and deletes the keys it created. */
  dispose(): Promise<void>;
}

export function testNamespace(label: string): TestNamespace {
  const id = `t_${label}_${randomBytes(4).toString('hex')}`;
  return {
    id,
    schema: id,
    redisPrefix: id,
    dispose: async () => {
      await dropSchemas(id);
      await deleteKeys(`${id}:*`);
    },
  };
}

async function dropSchemas(id: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2',
      [id, `${id}\\_%`],
    );
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      if (next === '0') break;
      cursor = next;
    }
  } finally {
    redis.disconnect();
  }
}
