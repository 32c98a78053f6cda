import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

export const TEST_DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice';
export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** One run's private corner of the shared Postgres and Redis: its own schema and key prefix. */
export interface TestNamespace {
  id: string;
  schema: string;
  redisPrefix: string;
  /** Drops the schema and deletes the keys this run created. */
  dispose(): Promise<void>;
}

export function testNamespace(label: string): TestNamespace {
  const id = `t_${label}_${randomBytes(4).toString('hex')}`;
  return {
    id,
    schema: id,
    redisPrefix: id,
    dispose: async () => {
      await dropSchema(id);
      await deleteKeys(`${id}:*`);
    },
  };
}

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
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
