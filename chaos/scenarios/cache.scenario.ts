import { setTimeout as sleep } from 'node:timers/promises';
// The scenario writes into inventory's Redis layout on purpose (published by inventory): it plays a failover that
// brings old keys back.
import { keyList, saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import type { Scenario } from '../scenario';

export const cacheWipe: Scenario = {
  name: 'cache-wipe',
  fault: 'Redis restarted empty mid-sale (SHUTDOWN NOSAVE, started again)',
  faultMs: 0,
  async inject(stack) {
    await stack.redis.stop();
    await stack.redis.resume();
    return async () => undefined;
  },
};

const STALE_BY_MS = 3_000;

export const cacheStale: Scenario = {
  name: 'cache-stale',
  fault: `the sale's Redis keys put back to what they were ${STALE_BY_MS / 1000} s earlier (DUMP, then RESTORE REPLACE), as a lagging replica promoted after a failover`,
  faultMs: 0,
  async inject(stack) {
    const keys = keyList(saleKeys(INFRASTRUCTURE_DEFAULTS.redisPrefix, 'chaos-cache-stale'));
    const dumps = await stack.redis.command((redis) => Promise.all(keys.map((key) => redis.dumpBuffer(key))));
    await sleep(STALE_BY_MS);
    await stack.redis.command(async (redis) => {
      for (const [i, key] of keys.entries()) {
        const dump = dumps[i];
        if (dump) await redis.restore(key, 0, dump, 'REPLACE');
        else await redis.del(key);
      }
    });
    return async () => undefined;
  },
};
