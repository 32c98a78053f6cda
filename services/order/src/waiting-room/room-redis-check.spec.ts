import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { roomRedisWarning } from './room-redis-check';

// A redis-server of the test's own: the shared one must keep its settings.
describe('The Redis the waiting rooms keep their queues in (a real redis-server process)', () => {
  let server: ChildProcess;
  let url: string;
  let redis: Redis;

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    redis = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    await eventually(async () => (await redis.ping()) === 'PONG', { what: 'own redis-server up' });
  });
  afterAll(async () => {
    redis?.disconnect();
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server?.kill('SIGKILL');
    await exited;
  });

  it('given a Redis that evicts keys with a TTL, when checked, then a warning says a spent token could buy again, and what to run', async () => {
    await redis.config('SET', 'maxmemory-policy', 'volatile-lru');

    const warning = await roomRedisWarning(redis, url);

    expect(warning).toMatch(
      /evicts keys with a TTL .*\(maxmemory-policy volatile-lru\).*spent admission tokens.*buy again.*config set maxmemory-policy noeviction/,
    );
    expect(warning).not.toMatch(/closed/);
  });

  it('given a Redis that evicts any key, when checked, then a warning says a room may be closed and a spent token buy again', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');

    expect(await roomRedisWarning(redis, url)).toMatch(
      /evicts any key .*\(maxmemory-policy allkeys-lru\).*closed.*buy again.*config set maxmemory-policy noeviction/,
    );
  });

  it('given a REDIS_URL with a password, when warned, then the password is not in the line', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');

    const warning = await roomRedisWarning(redis, url.replace('redis://', 'redis://:s3cret@'));

    expect(warning).toContain('REDIS_URL=redis://***@127.0.0.1');
    expect(warning).not.toContain('s3cret');
  });

  it('given a Redis that never evicts, when checked, then no warning', async () => {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');

    expect(await roomRedisWarning(redis, url)).toBeNull();
  });

  it('given a Redis that hides CONFIG (a managed one), when checked, then a warning says it could not be read', async () => {
    const hidden = {
      config: () => Promise.reject(new Error("ERR unknown command 'CONFIG'")),
    } as unknown as Redis;

    expect(await roomRedisWarning(hidden, url)).toMatch(/could not read the maxmemory-policy.*noeviction/);
  });
});
