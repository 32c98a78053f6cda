import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { assertRedisKeepsNothing } from './ephemeral-redis';

// A Redis server of the test's own (the shared one must keep its settings), as Debian ships it: saving snapshots.
describe('assertRedisKeepsNothing (a real redis-server)', () => {
  let redis: Redis;
  let stop: () => void;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-redis-'));
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '900 1', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    stop = () => server.kill('SIGKILL');
    url = `redis://127.0.0.1:${port}`;
    redis = new Redis(url, { retryStrategy: () => 50 });
    await eventually(async () => (await redis.ping()) === 'PONG', { what: 'own redis-server up' });
  });

  afterAll(() => {
    redis?.disconnect();
    stop?.();
  });

  it('given a Redis that saves snapshots, when inventory boots on it, then it refuses and says what to run', async () => {
    await expect(assertRedisKeepsNothing(redis, url)).rejects.toThrow(
      new RegExp(`REDIS_URL=${url} persists to disk.*config set save ''`),
    );
  });

  it('given the same Redis told to keep nothing, then inventory boots', async () => {
    await redis.config('SET', 'save', '');
    await expect(assertRedisKeepsNothing(redis, url)).resolves.toBeUndefined();
  });
});
