import { join } from 'node:path';
import { Pool } from 'undici';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import type { TestBroker } from '@boxoffice/testing/test-broker';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import type { TestVhost } from '@boxoffice/testing/test-vhost';
import { spawnWatched } from '@boxoffice/testing/watched-process';

const SERVICES = ['inventory', 'order', 'payment'] as const;
type Service = (typeof SERVICES)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
export interface JsonResponse<T = any> {
  status: number;
  body: T;
}

/** The whole system as `npm start` runs it: scripts/start.mjs, three real processes, in a corner of its own. */
export interface BoxofficeStack {
  corner: TestCorner;
  vhost: TestVhost;
  /** The test's own connection to the vhost: publishes copies and poison, reads queues over AMQP. */
  broker: TestBroker;
  schemaOf(service: Service): string;
  /** Where the service listens, for a client of its own (a load driver). */
  urlOf(service: Service): string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  call<T = any>(
    service: Service,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonResponse<T>>;
  /** What the services printed so far, for a failing test's message. */
  logs(): string;
  /** The pid of `npm start` (scripts/start.mjs); the services are its children. */
  pid: number;
  /** Whether `npm start` is still running: it ends when a service dies. */
  running(): boolean;
  stop(): Promise<void>;
}

/** `root`: the checkout whose start.mjs runs (another commit's worktree, for a bench against it). */
export async function startStack(
  label: string,
  settings: Record<string, string> = {},
  root = join(__dirname, '..'),
): Promise<BoxofficeStack> {
  const corner = await openTestCorner(label, { vhost: true });
  let logs = () => '';
  try {
    const ports = { inventory: await freePort(), order: await freePort(), payment: await freePort() };
    // start.mjs whole, its build included: this is the `npm start` a newcomer runs.
    const npmStart = spawnWatched([join(root, 'scripts', 'start.mjs')], {
      ...process.env,
      NO_COLOR: '1',
      ...corner.env('inventory'),
      ...corner.env('order'),
      ...corner.env('payment'),
      INVENTORY_PORT: String(ports.inventory),
      ORDER_PORT: String(ports.order),
      PAYMENT_PORT: String(ports.payment),
      INVENTORY_URL: `http://127.0.0.1:${ports.inventory}`,
      ...settings,
    });
    logs = () => npmStart.output();
    // Ctrl-C, as a developer stops `npm start`; start.mjs gives its services 10 s before it kills them.
    corner.defer(() => npmStart.stop('SIGINT', 20_000));
    const pools = Object.fromEntries(
      SERVICES.map((service) => [
        service,
        new Pool(`http://127.0.0.1:${ports[service]}`, { connections: 128 }),
      ]),
    ) as Record<Service, Pool>;
    corner.defer(() => Promise.all(Object.values(pools).map((pool) => pool.close())));

    const call = async (
      service: Service,
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await pools[service].request({
        method: method as 'GET',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
    };

    const outcome = await eventually(
      async () => {
        if (npmStart.exit()) return 'exited';
        for (const service of SERVICES)
          if ((await call(service, 'GET', '/health')).status !== 200) return false;
        return 'healthy';
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'all three services healthy' },
    );
    if (outcome === 'exited') throw new Error(`npm start exited with ${JSON.stringify(npmStart.exit())}`);
    // Opened once the services declared their queues, so that what it publishes is routable.
    const broker = await corner.openBroker();
    return {
      corner,
      vhost: corner.vhost,
      broker,
      schemaOf: (service) => corner.schemaOf(service),
      urlOf: (service) => `http://127.0.0.1:${ports[service]}`,
      call,
      logs,
      pid: npmStart.child.pid!,
      running: () => !npmStart.exit(),
      stop: () => corner.dispose(),
    };
  } catch (error) {
    const output = logs();
    await corner.dispose();
    throw new Error(`${(error as Error).message}\n--- npm start output ---\n${output.slice(-5000)}`, {
      cause: error,
    });
  }
}
