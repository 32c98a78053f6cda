import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { openRedis } from '@boxoffice/redis/open-redis';
import { unfitReasons } from './redis-fitness';
import { RedisWatch } from './redis-watch';

const KEEPS_NOTHING = ['--save', '', '--appendonly', 'no'];

// Redis servers of the test's own (the shared one must keep its settings), started and killed as the test needs.
describe('The Redis the stock gate may trust (real redis-server processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-redis-fitness-'));
  let port: number;
  let url: string;
  let server: ChildProcess | undefined;
  let admin: Redis;

  /** A redis-server on the test's port, loading `dir/snapshot.rdb` if there is one. */
  async function startServer(args: string[]): Promise<void> {
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'snapshot.rdb', ...args],
      { stdio: 'ignore' },
    );
    await eventually(async () => (await admin.ping()) === 'PONG', { what: 'own redis-server up' });
  }

  async function killServer(): Promise<void> {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server!.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    admin = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    if (server?.exitCode === null) await killServer();
    rmSync(join(dir, 'snapshot.rdb'), { force: true });
  });
  afterAll(() => {
    admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a Redis that saves snapshots, when checked, then it is unfit and the reason says what to run', async () => {
    await startServer(['--save', '900 1']);

    expect(await unfitReasons(admin, url)).toEqual([
      expect.stringMatching(/persists to disk.*config set save ''/),
    ]);
  });

  it('given a Redis that evicts keys, when checked, then it is unfit and the reason says what to run', async () => {
    await startServer([...KEEPS_NOTHING, '--maxmemory-policy', 'allkeys-lru']);

    expect(await unfitReasons(admin, url)).toEqual([
      expect.stringMatching(/evicts keys \(maxmemory-policy allkeys-lru\).*noeviction/),
    ]);
  });

  it('given a Redis that keeps nothing and never evicts, when checked, then it is fit', async () => {
    await startServer(KEEPS_NOTHING);

    expect(await unfitReasons(admin, url)).toEqual([]);
  });

  describe('RedisWatch', () => {
    let redis: Redis;
    afterEach(() => redis?.disconnect());

    it('given the gate on a Redis, when Redis comes back as another instance from an old snapshot, then every sale is dropped before the gate serves again', async () => {
      // given: a snapshot taken while the sale had 10 left, then more sold
      await startServer(KEEPS_NOTHING);
      redis = openRedis(url);
      const watch = await RedisWatch.start(redis, url, 'gate');
      await admin.hset('gate:{sale-1}:sale', 'totalStock', 10, 'available', 10);
      await admin.set('someone-else', 'kept');
      await admin.save();
      await admin.hset('gate:{sale-1}:sale', 'available', 3);

      // when: the instance dies and another starts from the snapshot
      await killServer();
      await startServer(KEEPS_NOTHING);
      expect(await admin.hget('gate:{sale-1}:sale', 'available')).toBe('10'); // the premise: old state is back

      // then
      await eventually(
        async () => {
          try {
            watch.assertServing();
          } catch {
            return false;
          }
          return (await admin.exists('gate:{sale-1}:sale')) === 0;
        },
        { timeoutMs: 10_000, what: 'the old sale dropped and the gate serving' },
      );
      expect(await admin.get('someone-else')).toBe('kept');
    });

    it('given the gate on a fit Redis, when Redis comes back evicting keys, then the gate refuses with UNAVAILABLE', async () => {
      // given
      await startServer(KEEPS_NOTHING);
      redis = openRedis(url);
      const watch = await RedisWatch.start(redis, url, 'gate');
      expect(() => watch.assertServing()).not.toThrow();

      // when
      await killServer();
      await startServer([...KEEPS_NOTHING, '--maxmemory-policy', 'allkeys-lru']);

      // then
      const refusal = await eventually(
        async () => {
          await redis.ping();
          try {
            watch.assertServing();
            return false;
          } catch (error) {
            return (error as Error).message.includes('evicts keys') && (error as { code?: string }).code;
          }
        },
        { timeoutMs: 10_000, what: 'the gate refusing' },
      );
      expect(refusal).toBe('UNAVAILABLE');
    });
  });
});
