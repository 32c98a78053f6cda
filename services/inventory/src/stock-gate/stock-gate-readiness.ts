import Redis from 'ioredis';
import type { ReadinessCheck } from '@boxoffice/health/readiness-check';
import { RedisWatch } from './redis-watch';

/** Up when Redis answers and the gate trusts it (fit, and rebuilt after a change of instance). */
export function stockGateReadiness(): ReadinessCheck {
  return {
    name: 'redis',
    probe: async (resolve) => {
      await resolve(Redis).ping();
      resolve(RedisWatch).assertServing();
      return { up: true };
    },
  };
}
