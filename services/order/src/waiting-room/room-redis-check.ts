import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import Redis from 'ioredis';
import { checkEviction } from '@boxoffice/redis/eviction-policy';
import { OrderConfig } from '../order.config';

/**
 * What is wrong with the rooms' Redis, or null. Only a warning: a room is a choice per sale, and a managed Redis may
 * hide CONFIG. Under volatile-* only keys with a TTL go: a room's spent-token records (the queue has none), so a spent
 * admission token could buy again. Under allkeys-* the queue itself too: the room is closed (503) until reopened.
 */
export async function roomRedisWarning(redis: Redis, url: string): Promise<string | null> {
  const check = await checkEviction(redis, url);
  const fix = `Run it with --maxmemory-policy noeviction, or: redis-cli config set maxmemory-policy noeviction`;
  if ('unreadable' in check)
    return `could not read the maxmemory-policy of the Redis at REDIS_URL=${check.where} (${check.unreadable}): make sure it is noeviction, or a waiting room may lose its queue or let a spent admission token buy again`;
  if (check.evicts === 'nothing') return null;
  const risk =
    check.evicts === 'keys-with-ttl'
      ? `a waiting room's spent admission tokens (kept with a TTL) may be evicted, and such a token buy again`
      : `a waiting room whose queue it evicts is closed (503 WAITING_ROOM_CLOSED) until reopened, everyone queueing again, and a spent admission token whose record it evicts may buy again`;
  return `the Redis at REDIS_URL=${check.where} evicts ${check.evicts === 'keys-with-ttl' ? 'keys with a TTL' : 'any key'} under memory pressure (maxmemory-policy ${check.policy}): ${risk}. ${fix}`;
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
