import Redis from 'ioredis';

/** A Redis client that fails a command within about a second when Redis is gone, instead of queueing forever. */
export function openRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}
