import type Redis from 'ioredis';

/**
 * What a Redis may drop under memory pressure, by its maxmemory-policy: nothing (noeviction), only keys with a TTL
 * (volatile-*), or any key (allkeys-*, and any policy not known here: the worst is assumed).
 */
export type Evicts = 'nothing' | 'keys-with-ttl' | 'any-key';

/** A Redis's eviction policy, read once; `where` is its REDIS_URL fit for a log line (credentials hidden). */
export type EvictionCheck =
  | { where: string; policy: string; evicts: Evicts }
  /** CONFIG refused (a managed Redis may hide it): the operator must make sure. */
  | { where: string; unreadable: string };

/** Reads the Redis's maxmemory-policy: the one check inventory's gate and order's rooms both make. */
export async function checkEviction(redis: Redis, url: string): Promise<EvictionCheck> {
  const where = redactedUrl(url);
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    return { where, policy, evicts: evictsUnder(policy) };
  } catch (error) {
    return { where, unreadable: (error as Error).message };
  }
}

export function evictsUnder(policy: string): Evicts {
  if (policy === 'noeviction') return 'nothing';
  return policy.startsWith('volatile-') ? 'keys-with-ttl' : 'any-key';
}

/** The URL with its user and password hidden: REDIS_URL may carry a password, and log lines travel far. */
export function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: where its credentials are cannot be told, so none of it is shown.
    return '(unparsable)';
  }
  if (!parsed.username && !parsed.password) return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace('//', '//***@');
}
