import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { isDependencyDown } from '@boxoffice/errors/dependency-down';
import { eventually } from '@boxoffice/testing/eventually';
import { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { openDatabase } from './open-database';
import { QUERY_READ_TIMEOUT } from './query-timeout.client';

const QUERY_TIMEOUT_MS = 500;
/** Far past the timeout each way: without one, every query would take 3 s. */
const HUNG_MS = 1_500;
/** What a timed-out query may take beyond the timeout on a busy machine. */
const SLACK_MS = 400;

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work;
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

describe('Query timeout (e2e: real Postgres behind a FaultProxy, own schema)', () => {
  let namespace: TestNamespace;
  let proxy: FaultProxy;
  let db: DataSource;

  beforeAll(async () => {
    namespace = testNamespace('query_timeout');
    proxy = await FaultProxy.open(TEST_DATABASE_URL);
    // Two connections (migrations hold one while they run on the other), both used by the test's next transactions.
    db = await openDatabase({
      url: proxy.url(TEST_DATABASE_URL),
      schema: namespace.schema,
      poolSize: 2,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
      entities: [],
      migrations: [],
    });
    await db.query('CREATE TABLE tickets (id text PRIMARY KEY)');
  });

  afterEach(() => proxy.setLatency(0));

  afterAll(async () => {
    await db?.destroy();
    await proxy?.dispose();
    await namespace?.dispose();
  });

  it('given Postgres answering 1.5 s late each way, when a query runs, then it fails within the timeout, as a dependency down', async () => {
    // given
    proxy.setLatency(HUNG_MS);

    // when
    const { error, ms } = await timed(db.query('SELECT 1'));

    // then
    expect(error).toMatchObject({ message: QUERY_READ_TIMEOUT });
    expect(isDependencyDown(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(QUERY_TIMEOUT_MS + SLACK_MS);
  });

  it('given a transaction whose INSERT timed out, when Postgres answers promptly again, then that INSERT is never committed, not even by the next transaction', async () => {
    // given Postgres hangs after the transaction began, while its INSERT is on the way
    let abandonedPid = 0;
    const { error } = await timed(
      db.transaction(async (manager) => {
        [{ pid: abandonedPid }] = (await manager.query('SELECT pg_backend_pid() AS pid')) as [
          { pid: number },
        ];
        proxy.setLatency(HUNG_MS);
        await manager.query(`INSERT INTO tickets VALUES ('abandoned')`);
      }),
    );
    expect(error).toMatchObject({ message: QUERY_READ_TIMEOUT });

    // when two transactions at once, so that each of the pool's connections commits one
    proxy.setLatency(0);
    await Promise.all(
      ['next-1', 'next-2'].map((id) =>
        db.transaction(async (manager) => {
          await manager.query('INSERT INTO tickets VALUES ($1)', [id]);
          await manager.query('SELECT pg_sleep(0.05)');
        }),
      ),
    );

    // then, once the server has ended the abandoned connection (its INSERT arrived late, before the end)
    await eventually(
      async () =>
        (await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [abandonedPid])).length === 0,
      { what: 'abandoned connection ended' },
    );
    expect(await db.query('SELECT id FROM tickets ORDER BY id')).toEqual([
      { id: 'next-1' },
      { id: 'next-2' },
    ]);
  });

  it('given a query through the callback API, when it times out, then its connection is ended as well', async () => {
    // given
    const client = await ((db.driver as PostgresDriver).master as Pool).connect();
    let ended = false;
    client.once('end', () => (ended = true));
    proxy.setLatency(HUNG_MS);

    // when
    const error = await new Promise((resolve) => client.query('SELECT 1', (failure) => resolve(failure)));

    // then
    expect(error).toMatchObject({ message: QUERY_READ_TIMEOUT });
    await eventually(() => ended, { what: 'connection ended' });
    client.release();
  });

  it('given a statement slower than the server-side timeout, when it runs, then Postgres cancels it first (57014) and the connection serves on', async () => {
    // when
    const { error, ms } = await timed(db.query('SELECT pg_sleep(2)'));

    // then: statement_timeout is 90% of the query timeout
    expect(error).toMatchObject({ code: '57014' });
    expect(isDependencyDown(error)).toBe(true);
    expect(ms).toBeLessThan(QUERY_TIMEOUT_MS);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
