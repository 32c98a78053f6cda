import { allStarted } from '@boxoffice/testing/all-started';
import { eventually } from '@boxoffice/testing/eventually';
import { watchReadiness } from '@boxoffice/testing/readiness-watch';
import { startServiceProcess, type ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@boxoffice/testing/test-namespace';
import { TEST_RABBITMQ_MANAGEMENT_URL, type TestVhost } from '@boxoffice/testing/test-vhost';
import { startBuyers } from '../chaos/buyers';
import { keptWithout202, QuietWindow } from '../chaos/run-scenario';
import type { AuditSettings } from '../ops/audit/audit-settings';
import type { AuditSnapshot } from '../ops/audit/audit-snapshot';
import { findViolations } from '../ops/audit/find-violations';
import { readSnapshot } from '../ops/audit/read-snapshot';

type Service = 'inventory' | 'order' | 'payment';

const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Short timers, so that every order ends soon after the last restart; a payment slow enough to be caught mid-way. */
const SETTINGS: Record<string, string> = {
  SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  SHUTDOWN_DELAY_MS: '300',
  ORDER_PAYMENT_TIMEOUT_SECONDS: '60',
  ORDER_SAGA_DRIVER_INTERVAL_MS: '1000',
  HOLD_TTL_SECONDS: '60',
  HOLD_SWEEP_INTERVAL_MS: '500',
  MESSAGE_RETRY_DELAY_MS: '250',
  MESSAGE_RETRY_MAX_DELAY_MS: '2000',
  OUTBOX_POLL_INTERVAL_MS: '100',
  GATEWAY_LATENCY_MS: '40',
  INVENTORY_TIMEOUT_MS: '2000',
};
const SALE = 'encore-sigterm';
const STOCK = 300;
const REQUESTS = 600;
/** The management API's counts lag up to 5 s on these machines: quiet must hold longer than that. */
const QUIET_HOLDS_MS = 6_000;

describe('SIGTERM to each service in the middle of a sale (system: real processes, RabbitMQ, Postgres, Redis)', () => {
  let corner: TestCorner & { vhost: TestVhost };
  const processes = {} as Record<Service, ServiceProcess>;
  const ports = {} as Record<Service, number>;

  const envOf = (service: Service): Record<string, string> => ({
    ...corner.env(service),
    ...SETTINGS,
    ...(service === 'order' && { INVENTORY_URL: `http://127.0.0.1:${ports.inventory}` }),
  });
  const start = async (service: Service) => {
    const started = await startServiceProcess(service, envOf(service), { port: ports[service] });
    corner.defer(() => started.stop());
    processes[service] = started;
    ports[service] = Number(new URL(started.url).port);
  };

  beforeAll(async () => {
    corner = await openTestCorner('sigterm', { vhost: true });
    await allStarted([start('inventory'), start('payment')]);
    await start('order'); // given inventory's port
  }, 120_000);
  afterAll(() => corner?.dispose());

  /** SIGTERM, and what readiness said until the port closed; then the same service started again on its port. */
  const stopAndRestart = async (service: Service) => {
    const stopping = processes[service];
    const readiness = watchReadiness(stopping.url);
    await eventually(() => readiness.answers.length > 0, { what: `${service} answering before the signal` });
    const signalledAt = Date.now();
    await stopping.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000);
    const exitMs = Date.now() - signalledAt;
    const answers = await readiness.closed;
    await start(service);
    return { exit: stopping.exit(), exitMs, answers, signalledAt, output: stopping.outputSinceStop() };
  };

  it('given 600 buyers racing for 300 tickets, when payment, order and inventory each get SIGTERM mid-sale and are started again, then each exits 0 in time after answering not-ready, and the audit finds nothing lost or done twice', async () => {
    // given
    const created = await processes.inventory
      .http()
      .put(`/events/${SALE}`)
      .set(AS_ADMIN)
      .send({ name: 'Encore', totalStock: STOCK, unitPrice: 5000, currency: 'EUR', perUserLimit: 2 });
    expect(created.status).toBe(201);
    const buyers = startBuyers({
      orderUrls: [processes.order.url],
      eventId: SALE,
      requests: REQUESTS,
      ratePerSecond: 25,
      concurrency: 16,
      declineRate: 0.1,
      users: REQUESTS,
      // 250 ms doubling: a buyer keeps trying for about 30 s, longer than order takes to stop and start again.
      retries: 7,
    });

    // when
    const stops: Array<{ service: Service } & Awaited<ReturnType<typeof stopAndRestart>>> = [];
    for (const [service, after] of [
      ['payment', 60],
      ['order', 160],
      ['inventory', 260],
    ] as const) {
      await eventually(() => buyers.tally.sent >= after, { timeoutMs: 60_000, what: `${after} buyers sent` });
      stops.push({ service, ...(await stopAndRestart(service)) });
    }
    const tally = await buyers.done;

    // then each stopped cleanly, in time, saying so, and was not ready before its port closed
    for (const stop of stops) {
      const why = `${stop.service} stop:\n${stop.output.slice(-3_000)}`;
      expect({ service: stop.service, exit: stop.exit }).toEqual({
        service: stop.service,
        exit: { code: 0, signal: null },
      });
      expect(stop.exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expect(stop.output).toMatch(/SIGTERM: not ready any more/);
      expect(stop.output).toMatch(/stopped in \d+ ms/);
      // Not ready first, and never ready again until the port refuses (a request caught by the closing server
      // itself gets Fastify's own 503).
      const afterSignal = stop.answers.filter((answer) => answer.at > stop.signalledAt);
      const notReady = afterSignal.findIndex(
        (answer) =>
          answer.status === 503 &&
          (answer.body as { error?: { shutdown?: { message?: string } } }).error?.shutdown?.message ===
            'shutting down',
      );
      const untilClosed = afterSignal.slice(Math.max(notReady, 0)).map((answer) => answer.status);
      expect({ why, notReadyFirst: notReady >= 0, untilClosed }).toEqual({
        why,
        notReadyFirst: true,
        untilClosed: [...untilClosed.slice(0, -1).map(() => 503), 'refused'],
      });
    }

    // and when everything has ended, the audit finds no violation
    const settings: AuditSettings = {
      databaseUrl: TEST_DATABASE_URL,
      schemas: {
        inventory: corner.schemaOf('inventory'),
        order: corner.schemaOf('order'),
        payment: corner.schemaOf('payment'),
      },
      redisUrl: TEST_REDIS_URL,
      redisPrefix: corner.namespace.redisPrefix,
      vhost: corner.vhost.name,
      rabbitmqManagementUrl: TEST_RABBITMQ_MANAGEMENT_URL,
    };
    const quiet = new QuietWindow(QUIET_HOLDS_MS);
    const snapshot: AuditSnapshot = await eventually(
      async () => {
        const read = await readSnapshot(settings, SALE);
        return quiet.holds(read) && read;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every order ended, every queue and outbox empty' },
    );
    const orders = snapshot.sales.flatMap((sale) => sale.orders);
    console.log(
      `sigterm: ${tally.sent} buyers, ${tally.accepted.size} accepted (${orders.length} recorded), ` +
        `${tally.unavailable} unavailable, ${tally.lost} lost; refused ${JSON.stringify(tally.refused)}; ` +
        stops
          .map(
            (stop) =>
              `${stop.service} exited in ${stop.exitMs} ms, ${/stopped in .*/.exec(stop.output)?.[0]}`,
          )
          .join('; '),
    );
    expect(orders.length).toBeGreaterThan(0);
    expect([...findViolations(snapshot), ...keptWithout202(snapshot, tally)]).toEqual([]);
  }, 300_000);
});
