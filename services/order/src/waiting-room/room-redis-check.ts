import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import Redis from 'ioredis';
import { OrderConfig } from '../order.config';

/**
 * What is wrong with the rooms' Redis, or null: one that may evict keys under memory pressure could drop a room's
 * state, and a room whose state is gone is closed (503 WAITING_ROOM_CLOSED) until the operator reopens it, everyone
 * queueing again. Only a warning: a room is a choice per sale, and a managed Redis may hide CONFIG.
 */
export async function roomRedisWarning(redis: Redis, url: string): Promise<string | null> {
  let policy: string;
  try {
    [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
  } catch (error) {
    return `could not read the maxmemory-policy of the Redis at REDIS_URL=${url} (${(error as Error).message}): make sure it is noeviction, or a waiting room may lose its queue`;
  }
  if (policy === 'noeviction') return null;
  return (
    `the Redis at REDIS_URL=${url} evicts keys (maxmemory-policy ${policy}): a waiting room whose keys it evicts is ` +
    `closed until reopened, everyone queueing again. Run it with --maxmemory-policy noeviction, or: ` +
    `redis-cli config set maxmemory-policy noeviction`
  );
}

/** Checks the rooms' Redis once at boot, in the background: a Redis away then does not hold the boot up. */
@Injectable()
export class RoomRedisCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('waiting-room');

  constructor(
    private readonly redis: Redis,
    private readonly config: OrderConfig,
  ) {}

  onApplicationBootstrap(): void {
    void roomRedisWarning(this.redis, this.config.redisUrl).then((warning) => {
      if (warning) this.logger.warn(warning);
    });
  }
}
