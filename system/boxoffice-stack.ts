import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';
import { createTestVhost, TestVhost } from '@boxoffice/testing/test-vhost';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { testNamespace, TestNamespace } from '@boxoffice/testing/test-namespace';

const SERVICES = ['inventory', 'order', 'payment'] as const;
type Service = (typeof SERVICES)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
export interface JsonResponse<T = any> {
  status: number;
  body: T;
}

/** The whole system as `npm start` runs it: scripts/start.mjs, three real processes, in a namespace of its own. */
export interface BoxofficeStack {
  namespace: TestNamespace;
  vhost: TestVhost;
  schemaOf(service: Service): string;
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
  stop(): Promise<void>;
}

export async function startStack(
  label: string,
  settings: Record<string, string> = {},
): Promise<BoxofficeStack> {
  const namespace = testNamespace(label);
  const vhost = await createTestVhost(label);
  const ports = { inventory: await freePort(), order: await freePort(), payment: await freePort() };
  const schemaOf = (service: Service) => `${namespace.id}_${service}`;
  const env = {
    ...process.env,
    NO_COLOR: '1',
    INVENTORY_PORT: String(ports.inventory),
    ORDER_PORT: String(ports.order),
    PAYMENT_PORT: String(ports.payment),
    INVENTORY_URL: `http://127.0.0.1:${ports.inventory}`,
    INVENTORY_DB_SCHEMA: schemaOf('inventory'),
    ORDER_DB_SCHEMA: schemaOf('order'),
    PAYMENT_DB_SCHEMA: schemaOf('payment'),
    INVENTORY_REDIS_PREFIX: namespace.redisPrefix,
    RABBITMQ_URL: vhost.url,
    ...settings,
  };
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', 'scripts', 'start.mjs')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pools = Object.fromEntries(
    SERVICES.map((service) => [
      service,
      new Pool(`http://127.0.0.1:${ports[service]}`, { connections: 128 }),
    ]),
  ) as Record<Service, Pool>;

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

  const stop = async () => {
    child.kill('SIGINT');
    await exited;
    await Promise.all(Object.values(pools).map((pool) => pool.close()));
    await namespace.dispose();
    await vhost.dispose();
  };

  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
        for (const service of SERVICES)
          if ((await call(service, 'GET', '/health')).status !== 200) return false;
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'all three services healthy' },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- npm start output ---\n${output.slice(-5000)}`, {
      cause: error,
    });
  }
  return { namespace, vhost, schemaOf, call, logs: () => output, stop };
}
