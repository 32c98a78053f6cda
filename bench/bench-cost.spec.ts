import { eventually } from '@boxoffice/testing/eventually';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@boxoffice/testing/test-namespace';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import { costBetween, openCostProbe, perUnit, type ProcessCost } from './bench-cost';

const cost = (sql: number, cpuMs: number, more: Partial<ProcessCost> = {}): ProcessCost => ({
  sql,
  transactions: 0,
  redis: 0,
  http: 0,
  amqp: 0,
  cpuMs,
  ...more,
});

describe('npm run bench: the cost of an order', () => {
  it('given snapshots before and after a run, when compared, then each process gets its own difference and a process missing from one is left out', () => {
    // given
    const before = { order: cost(100, 1_000), inventory: cost(50, 500) };
    const after = { order: cost(300, 1_600, { redis: 7 }), payment: cost(10, 10) };

    // when
    const run = costBetween(before, after, 100, 'accepted order');

    // then
    expect(run).toEqual({
      per: 'accepted order',
      units: 100,
      processes: { order: cost(200, 600, { redis: 7 }) },
    });
  });

  it('given a run of 100 orders, when divided, then each process and all together get their figures per order, round trips summing SQL, Redis, HTTP and AMQP', () => {
    // given
    const run = {
      per: 'accepted order' as const,
      units: 100,
      processes: {
        order: cost(800, 600, { transactions: 200, http: 100, amqp: 100 }),
        inventory: cost(600, 400, { transactions: 200, redis: 200 }),
      },
    };

    // when
    const figures = perUnit(run);

    // then
    expect(figures).toEqual({
      inventory: { ...cost(6, 4, { transactions: 2, redis: 2 }), roundTrips: 8 },
      order: { ...cost(8, 6, { transactions: 2, http: 1, amqp: 1 }), roundTrips: 10 },
      all: { ...cost(14, 10, { transactions: 4, redis: 2, http: 1, amqp: 1 }), roundTrips: 18 },
    });
    expect(perUnit({ ...run, units: 0 })).toBeNull();
  });

  it('given a process started with the probe, when it runs SQL in a transaction and Redis commands, then its snapshot counts them and its CPU', async () => {
    // given
    const probe = openCostProbe();
    const script = `
      const { Client } = require('pg');
      const Redis = require('ioredis');
      (async () => {
        const db = new Client({ connectionString: process.env.DATABASE_URL });
        await db.connect();
        await db.query('BEGIN');
        await db.query('SELECT 1');
        await db.query({ text: 'SELECT $1::int', values: [2] });
        await db.query('COMMIT');
        const redis = new Redis(process.env.REDIS_URL);
        await redis.ping();
        console.log('done');
        setInterval(() => undefined, 1000);
      })();`;
    const child = spawnWatched([...probe.nodeArgs, '-e', script], {
      ...process.env,
      ...probe.env,
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
    });
    try {
      await eventually(() => child.output().includes('done') || child.exit(), { what: 'the script done' });
      expect(child.exit()).toBeUndefined();

      // when
      const snapshot = await probe.snapshot({ script: child.child.pid! });

      // then
      expect(snapshot.script).toMatchObject({ sql: 4, transactions: 1, http: 0, amqp: 0 });
      // ioredis asks the server for its state on connecting, before the PING.
      expect(snapshot.script.redis).toBeGreaterThanOrEqual(1);
      expect(snapshot.script.cpuMs).toBeGreaterThan(0);
      // A process gone (pids stop at 2^22), or one without the preload (this one), is left out and not signalled.
      expect(await probe.snapshot({ gone: 2 ** 22 + 1, unprobed: process.pid })).toEqual({});
    } finally {
      await child.stop('SIGKILL', 1_000);
      probe.remove();
    }
  });
});
