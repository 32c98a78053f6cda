import { join } from 'node:path';
import { Client } from 'pg';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { allStarted } from '@boxoffice/testing/all-started';
import { eventually } from '@boxoffice/testing/eventually';
import { startInCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { TEST_DATABASE_URL } from '@boxoffice/testing/test-namespace';
import { TEST_RABBITMQ_MANAGEMENT_URL } from '@boxoffice/testing/test-vhost';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import { generateSale } from './generated-sale';
import { readQueueDepths } from './read-snapshot';

const SALE = 'big';
const ORDERS = 100_000;

/** The three services' schemas, made by the services themselves (their migrations), then left to the test. */
function migratedCorner(): Promise<TestCorner> {
  return startInCorner('audit', { vhost: true }, async (corner) => {
    const [inventory, payment] = await allStarted([
      corner.startProcess('inventory'),
      corner.startProcess('payment'),
    ]);
    const order = await corner.startProcess('order', { INVENTORY_URL: inventory.url });
    // stopped, so that no sweep of theirs touches the generated sale
    for (const service of [order, payment, inventory]) await service.stop();
    // the queues they declared, empty, once the broker has counted them (a count not published yet is a violation)
    const management = new RabbitManagement(TEST_RABBITMQ_MANAGEMENT_URL);
    await eventually(
      async () => {
        const queues = await readQueueDepths(management, corner.vhost.name);
        return queues.length > 0 && queues.every((queue) => queue.messages === 0);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the broker counted the saga queues, all empty' },
    );
    return corner;
  });
}

interface AuditRun {
  exitCode: number | null;
  report: {
    sales: Array<{ eventId: string; orders: Record<string, unknown>; payments: unknown; gateway: unknown }>;
    violations: Array<{ code: string; where: string; detail: string }>;
  };
  seconds: number;
}

describe('npm run audit on a sale of 100,000 orders (e2e, generated in the services’ own tables)', () => {
  let corner: TestCorner;
  let db: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    corner = await migratedCorner();
    env = {
      ...corner.env('inventory'),
      ...corner.env('order'),
      ...corner.env('payment'),
      RABBITMQ_MANAGEMENT_URL: TEST_RABBITMQ_MANAGEMENT_URL,
      AUDIT_COMPENSATION_MAX_AGE_SECONDS: '600',
    };
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    corner.defer(() => db.end());
    const schemas = { inventory: schema('inventory'), order: schema('order'), payment: schema('payment') };
    await generateSale(db, schemas, SALE, ORDERS);
  }, 240_000);
  afterAll(async () => {
    await corner?.dispose();
  });

  const schema = (service: string) => corner.schemaOf(service);
  const audit = async (): Promise<AuditRun> => {
    const started = Date.now();
    const run = spawnWatched(
      ['-r', require.resolve('@swc-node/register'), join(__dirname, 'audit.ts'), '--sale', SALE, '--json'],
      { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json'), ...env },
    );
    const exit = await eventually(() => run.exit(), {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: 'the audit exited',
    });
    const seconds = (Date.now() - started) / 1000;
    let report: AuditRun['report'];
    try {
      report = JSON.parse(run.output());
    } catch {
      throw new Error(`the audit printed no report (exit ${JSON.stringify(exit)}):\n${run.output()}`);
    }
    return { exitCode: exit.code, report, seconds };
  };

  it('given a consistent sale of 100,000 ended orders, when audited, then it reports them all and no violation', async () => {
    // when
    const { exitCode, report, seconds } = await audit();
    console.log(`audit of ${ORDERS} orders: ${seconds.toFixed(1)} s, node start included`);

    // then
    expect(report.violations).toEqual([]);
    expect(report.sales).toEqual([
      expect.objectContaining({
        eventId: SALE,
        orders: {
          created: 0,
          confirmed: 60_000,
          cancelled: 40_000,
          cancelledBy: { PAYMENT_DECLINED: 30_000, PAYMENT_TIMEOUT: 10_000 },
        },
        payments: { succeeded: 60_000, failed: 30_000, refunded: 10_000 },
        gateway: { charges: 70_000, refunds: 10_000 },
      }),
    ]);
    expect(exitCode).toBe(0);
  }, 150_000);

  it('given one order of each kind the audit must find, when audited, then it names each of them', async () => {
    // given: big-7 declined, yet the processor holds its charge (its "failed" answer was wrong)
    await db.query(
      `UPDATE "${schema('payment')}".gateway_calls SET succeeded = true WHERE idempotency_key = 'charge:big-7'`,
    );
    // and big-8 cancelled while its ticket was sold (committed in the ledger and counted as sold)
    await db.query(
      `UPDATE "${schema('inventory')}".reservations SET status = 'COMMITTED' WHERE order_id = 'big-8'`,
    );
    await db.query(`UPDATE "${schema('inventory')}".sales SET sold = sold + 1 WHERE event_id = $1`, [SALE]);
    // and big-19 cancelled an hour ago, its payment's answer still missing (its release recorded just now)
    await db.query(
      `UPDATE "${schema('order')}".orders SET step = 'COMPENSATION', cancelled_at = now() - interval '1 hour',
         payment_settled_at = NULL, payment_settlement = NULL, updated_at = now()
       WHERE order_id = 'big-19'`,
    );

    // when
    const { exitCode, report } = await audit();

    // then
    expect(report.violations).toEqual([
      { code: 'SOLD_NOT_CONFIRMED', where: SALE, detail: 'ledger sold 60001, CONFIRMED orders hold 60000' },
      {
        code: 'CHARGE_NOT_REFUNDED',
        where: SALE,
        detail: '1 CANCELLED orders charged and not refunded: big-7',
      },
      {
        code: 'SOLD_FOR_UNCONFIRMED_ORDER',
        where: SALE,
        detail: '1 orders not CONFIRMED whose tickets are sold: big-8',
      },
      {
        code: 'COMPENSATION_OVERDUE',
        where: SALE,
        detail: '1 CANCELLED orders compensating for more than 600 s: big-19',
      },
    ]);
    expect(exitCode).toBe(1);
  }, 150_000);
});
