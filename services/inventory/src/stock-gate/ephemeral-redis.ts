import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/**
 * The gate is rebuilt from the ledger only when a sale's keys are missing. A Redis that comes back from a snapshot
 * would instead bring back old counts and sell tickets the ledger already gave away: refuse to run on one.
 */
export async function assertRedisKeepsNothing(redis: Redis, url: string): Promise<void> {
  let save: string;
  let appendonly: string;
  try {
    [, save] = (await redis.config('GET', 'save')) as string[];
    [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
  } catch (error) {
    // CONFIG may be disabled (managed Redis) or Redis down at boot: say so, the operator must make sure.
    new Logger('stock-gate').warn(
      `could not check that Redis keeps nothing on disk: ${(error as Error).message}`,
    );
    return;
  }
  if (save || appendonly === 'yes') {
    throw new Error(
      `The Redis at REDIS_URL=${url} persists to disk (save "${save}", appendonly ${appendonly}); after a restart it ` +
        `would serve stale stock. Run it with --save '' --appendonly no, or: redis-cli config set save '' && ` +
        `redis-cli config set appendonly no`,
    );
  }
}
