import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '@boxoffice/testing/eventually';
import { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { TEST_DATABASE_URL } from '@boxoffice/testing/test-namespace';
import { AUDIT_APPLICATION_NAME, openAuditSession } from './audit-session';

describe("the audit's connection: Postgres ends its queries (e2e, real Postgres)", () => {
  const opened: Array<{ end(): Promise<void> }> = [];
  const open = async <T extends { end(): Promise<void> }>(thing: Promise<T>): Promise<T> => {
    const it = await thing;
    opened.push(it);
    return it;
  };
  afterEach(async () => {
    for (const it of opened.splice(0).reverse()) await it.end().catch(() => undefined);
  });

  /** Audit queries carrying `marker` that Postgres is still running. */
  const running = async (observer: Client, marker: string): Promise<number> => {
    const { rows } = await observer.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND state = 'active' AND strpos(query, $2) > 0 AND pid <> pg_backend_pid()`,
      [AUDIT_APPLICATION_NAME, marker],
    );
    return rows[0].n;
  };

  it('given an audit query running, when its client goes (connection cut, as when the audit is killed), then Postgres ends the query within seconds', async () => {
    // given
    const observer = await open(connect(TEST_DATABASE_URL));
    const proxy = await FaultProxy.open(TEST_DATABASE_URL);
    opened.push({ end: () => proxy.dispose() });
    const audit = await openAuditSession(proxy.url(TEST_DATABASE_URL), 600);
    audit.on('error', () => undefined); // the cut connection
    const marker = `audit_gone_${randomBytes(4).toString('hex')}`;
    const query = audit.query(`SELECT pg_sleep(120) AS ${marker}`).catch((error: unknown) => error);
    await eventually(async () => (await running(observer, marker)) === 1, {
      what: 'the audit query running',
    });

    // when
    await proxy.cut();

    // then
    await eventually(async () => (await running(observer, marker)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'Postgres ended the query whose client went',
    });
    expect(await query).toBeInstanceOf(Error);
  }, 30_000);

  it('given a statement timeout of 1 s, when an audit query runs longer, then Postgres cancels it (57014) and the connection stays usable', async () => {
    // given
    const audit = await open(openAuditSession(TEST_DATABASE_URL, 1));

    // when
    const slow = audit.query('SELECT pg_sleep(5)');

    // then
    await expect(slow).rejects.toMatchObject({ code: '57014' });
    expect((await audit.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  }, 15_000);

  it('given the audit connection, when it tries to write, then Postgres refuses (read-only)', async () => {
    const audit = await open(openAuditSession(TEST_DATABASE_URL, 5));

    await expect(audit.query('CREATE TEMP TABLE audit_writes (id int)')).rejects.toMatchObject({
      code: '25006',
    });
  });
});

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}
