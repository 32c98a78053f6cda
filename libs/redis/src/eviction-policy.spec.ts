import type Redis from 'ioredis';
import { checkEviction, redactedUrl } from './eviction-policy';

/** A Redis whose CONFIG GET answers this policy (or fails with this error). */
function redisWith(answer: string | Error): Redis {
  return {
    config: () =>
      answer instanceof Error ? Promise.reject(answer) : Promise.resolve(['maxmemory-policy', answer]),
  } as unknown as Redis;
}

describe('checkEviction', () => {
  it.each([
    ['noeviction', 'nothing'],
    ['volatile-lru', 'keys-with-ttl'],
    ['volatile-ttl', 'keys-with-ttl'],
    ['allkeys-lru', 'any-key'],
    ['allkeys-random', 'any-key'],
    ['some-future-policy', 'any-key'],
  ])('given maxmemory-policy %s, when checked, then it evicts %s', async (policy, evicts) => {
    expect(await checkEviction(redisWith(policy), 'redis://127.0.0.1:6379')).toEqual({
      where: 'redis://127.0.0.1:6379',
      policy,
      evicts,
    });
  });

  it('given a Redis that hides CONFIG, when checked, then unreadable, with why', async () => {
    const check = await checkEviction(redisWith(new Error("ERR unknown command 'CONFIG'")), 'redis://r:6379');

    expect(check).toEqual({ where: 'redis://r:6379', unreadable: "ERR unknown command 'CONFIG'" });
  });

  it('given a REDIS_URL with a password, when checked, then where it is never shows the password', async () => {
    const check = await checkEviction(redisWith('allkeys-lru'), 'redis://admin:s3cret@cache.internal:6380/2');

    expect(check.where).toBe('redis://***@cache.internal:6380/2');
  });
});

describe('redactedUrl', () => {
  const cases = [
    { url: 'redis://:s3cret@host:6379', shown: 'redis://***@host:6379' },
    { url: 'rediss://user:s3cret@host:6380/1', shown: 'rediss://***@host:6380/1' },
    { url: 'redis://host:6379', shown: 'redis://host:6379' },
    { url: 'not a url s3cret', shown: '(unparsable)' },
  ];

  it.each(cases)('given $url, then $shown, never the password', ({ url, shown }) => {
    expect(redactedUrl(url)).toBe(shown);
    expect(redactedUrl(url)).not.toContain('s3cret');
  });
});
