import type { DataSource, QueryRunner } from 'typeorm';
import { DomainError } from '@boxoffice/errors/domain-error';
import { openDatabase } from '@boxoffice/database/open-database';
import { eventually } from '@boxoffice/testing/eventually';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { Deadline } from '../request/deadline';
import { orderNotTaken } from '../request/order-id-claim';
import { inOrdersTransaction } from './order-transaction';

const ORDER_LOCK_SPACE = 727_003;
/** Two ids whose hashtext is the same lock key (found by hashing 300,000 such ids), and ids that sort between them. */
const SHARING_A_KEY = ['lock-009650', 'lock-156695'];
const BETWEEN = ['lock-100000', 'lock-100001'];

describe('The orders transaction (e2e: real Postgres, own schema)', () => {
  let namespace: TestNamespace;
  let db: DataSource;

  beforeAll(async () => {
    namespace = testNamespace('order_tx');
    db = await openDatabase({
      url: TEST_DATABASE_URL,
      schema: namespace.schema,
      poolSize: 4,
      queryTimeoutMs: 10_000,
      entities: [],
      migrations: [],
    });
    await db.query('CREATE TABLE marks (id text PRIMARY KEY)');
  });

  afterAll(async () => {
    await db?.destroy();
    await namespace?.dispose();
  });

  const lockKeyOf = async (id: string): Promise<number> =>
    ((await db.query('SELECT hashtext($1) AS key', [id])) as Array<{ key: number }>)[0].key;

  /** Ids whose lock another transaction waits for now, among `ids`. */
  const waitedFor = async (ids: string[]): Promise<number> => {
    const keys = await Promise.all(ids.map(lockKeyOf));
    const [{ count }] = (await db.query(
      `SELECT count(*)::int AS count FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid IN (SELECT key::oid FROM unnest($2::int[]) AS key)`,
      [ORDER_LOCK_SPACE, keys],
    )) as Array<{ count: number }>;
    return count;
  };

  it('given two transactions sharing an id whose other ids hash to one lock key, when they take their locks at once, then both end: no deadlock', async () => {
    // given: ids a < b < m < c, with a and c on one lock key; a third session holds m's key, so that the transaction
    // of b, m, c takes b's key and waits at m's; then the one of a, b takes a's key and waits at b's.
    const [a, c] = SHARING_A_KEY;
    const [b, m] = BETWEEN;
    expect(await lockKeyOf(a)).toBe(await lockKeyOf(c));
    const holder: QueryRunner = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_LOCK_SPACE, m]);

    // when
    const later = inOrdersTransaction(db, [c, m, b], new Deadline(10_000), () => Promise.resolve('b-m-c'));
    await eventually(async () => (await waitedFor([m])) === 1, { what: 'the second waiting at m' });
    const first = inOrdersTransaction(db, [b, a], new Deadline(10_000), () => Promise.resolve('a-b'));
    await eventually(async () => (await waitedFor([b, a, c])) === 1, { what: 'the first waiting' }).catch(
      () => undefined, // with the locks in key order it may wait at a's key instead, or already hold all
    );
    await holder.commitTransaction();
    await holder.release();

    // then: Postgres finds a cycle after deadlock_timeout (1 s) and fails one of them, were there one
    await expect(Promise.all([first, later])).resolves.toEqual(['a-b', 'b-m-c']);
  });

  /** How long `work` took to settle, and how. */
  const timed = async (work: Promise<unknown>) => {
    const started = performance.now();
    const outcome = await work.then(
      () => 'committed',
      (error: Error) => error,
    );
    return { outcome, ms: performance.now() - started };
  };

  it('given statements that each fit in the time left at the start, when the deadline passes while one runs, then that one is cancelled at the deadline and nothing is kept', async () => {
    // given: 600 ms for three statements of 400 ms each (1.2 s in all)
    const work = inOrdersTransaction(db, ['slow'], new Deadline(600), async (tx) => {
      await tx.query(`INSERT INTO marks VALUES ('slow')`);
      for (let statement = 0; statement < 3; statement++) await tx.query('SELECT pg_sleep(0.4)');
    });

    // when
    const { outcome, ms } = await timed(work);

    // then
    expect(outcome).toMatchObject({ message: 'canceling statement due to user request' });
    expect(ms).toBeLessThan(900);
    expect(await db.query(`SELECT id FROM marks WHERE id = 'slow'`)).toEqual([]);
    expect(await db.query('SELECT 1 AS up')).toEqual([{ up: 1 }]);
  });

  it('given work that runs past the deadline between statements, when it ends, then its COMMIT is not sent: the 503 out of time, and nothing is kept', async () => {
    // given
    const work = inOrdersTransaction(db, ['idle'], new Deadline(300), async (tx) => {
      await tx.query(`INSERT INTO marks VALUES ('idle')`);
      await new Promise((resolve) => setTimeout(resolve, 400));
    });

    // when
    const { outcome } = await timed(work);

    // then
    expect(outcome).toBeInstanceOf(DomainError);
    expect(outcome).toEqual(orderNotTaken('out of time'));
    expect(await db.query(`SELECT id FROM marks WHERE id = 'idle'`)).toEqual([]);
  });
});
