import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { checkEviction } from '@boxoffice/redis/eviction-policy';

/**
 * Why this Redis cannot be the gate, if it cannot. The gate is rebuilt from the ledger only when a sale's keys are
 * missing: a Redis that comes back from a snapshot would bring back old counts, and one that evicts keys would
 * lose part of a sale (its holds, its buyers' counts) while keeping the rest.
 */
export async function unfitReasons(redis: Redis, url: string): Promise<string[]> {
  let save: string, appendonly: string;
  const eviction = await checkEviction(redis, url);
  try {
    if ('unreadable' in eviction) throw new Error(eviction.unreadable);
    [, save] = (await redis.config('GET', 'save')) as string[];
    [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
  } catch (error) {
    // CONFIG may be disabled (managed Redis): say so, the operator must make sure.
    new Logger('stock-gate').warn(`could not check the settings of Redis: ${(error as Error).message}`);
    return [];
  }
  const reasons: string[] = [];
  if (save || appendonly === 'yes') {
    reasons.push(
      `the Redis at REDIS_URL=${eviction.where} persists to disk (save "${save}", appendonly ${appendonly}); after a restart ` +
        `it would serve stale stock. Run it with --save '' --appendonly no, or: redis-cli config set save '' && ` +
        `redis-cli config set appendonly no`,
    );
  }
  if (eviction.evicts !== 'nothing') {
    reasons.push(
      `the Redis at REDIS_URL=${eviction.where} evicts keys (maxmemory-policy ${eviction.policy}); it could drop part of a sale. ` +
        `Run it with --maxmemory-policy noeviction, or: redis-cli config set maxmemory-policy noeviction`,
    );
  }
  return reasons;
}
