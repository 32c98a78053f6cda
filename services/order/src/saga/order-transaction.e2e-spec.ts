import type { DataSource, QueryRunner } from 'typeorm';
import { openDatabase } from '@boxoffice/database/open-database';
import { eventually } from '@boxoffice/testing/eventually';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { Deadline } from '../request/deadline';
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
});
