import { Pool } from 'pg';
import { FaultProxy } from './fault-proxy';
import { startServiceProcess, type ServiceProcess } from './service-process';
import { TestBroker } from './test-broker';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testNamespace, type TestNamespace } from './test-namespace';
import { TEST_TOKENS } from './test-tokens';
import { createTestVhost, type TestVhost } from './test-vhost';

/** SQL on one service's schema, as the service itself sees its tables. */
export interface SchemaDb {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are checked by the tests
  query<T = any>(sql: string, parameters?: unknown[]): Promise<T[]>;
}

/**
 * One test run's private corner of the shared infrastructure: Postgres schemas `<id>_<service>`, a Redis key
 * prefix and, when asked for, a RabbitMQ vhost. Whatever the run starts in it is registered with `defer` and
 * stopped by `dispose`, last started first, before the schemas, keys and vhost go; `dispose` runs every step
 * even when one fails, so that a failed test leaves nothing behind.
 */
export interface TestCorner {
  readonly namespace: TestNamespace;
  readonly vhost?: TestVhost;
  schemaOf(service: string): string;
  /** The settings that keep `service` in this corner (DATABASE_URL, <SERVICE>_DB_SCHEMA, REDIS_URL...) and the test tokens. */
  env(service: string): Record<string, string>;
  /** The tables of `service`, for what a test checks in them (pool closed by dispose). */
  db(service: string): SchemaDb;
  /** `service` as a real process, with this corner's settings and then `settings`. */
  startProcess(service: string, settings?: Record<string, string>): Promise<ServiceProcess>;
  /** A TestBroker on the vhost (see TestBroker.open for the options). */
  openBroker(options?: Parameters<typeof TestBroker.open>[1]): Promise<TestBroker>;
  /** A FaultProxy to `targetUrl`, let back in first by dispose, so that the services stop as they would. */
  openProxy(targetUrl: string): Promise<FaultProxy>;
  /** Registers what stops something the run started; dispose runs them last registered first. */
  defer(step: () => unknown): void;
  dispose(): Promise<void>;
}

export async function openTestCorner(
  label: string,
  options: { vhost: true },
): Promise<TestCorner & { vhost: TestVhost }>;
export async function openTestCorner(label: string, options?: { vhost?: boolean }): Promise<TestCorner>;
export async function openTestCorner(label: string, { vhost: withVhost = false } = {}): Promise<TestCorner> {
  const namespace = testNamespace(label);
  const vhost = withVhost ? await createTestVhost(label) : undefined;
  const steps: Array<() => unknown> = [];
  const pools = new Map<string, Pool>();
  const proxies: FaultProxy[] = [];
  const schemaOf = (service: string) => `${namespace.id}_${service}`;
  const env = (service: string) => {
    const prefix = service.toUpperCase();
    return {
      DATABASE_URL: TEST_DATABASE_URL,
      [`${prefix}_DB_SCHEMA`]: schemaOf(service),
      REDIS_URL: TEST_REDIS_URL,
      [`${prefix}_REDIS_PREFIX`]: namespace.redisPrefix,
      ...(vhost && { RABBITMQ_URL: vhost.url }),
      ...TEST_TOKENS,
    };
  };
  const started = async <T>(thing: Promise<T>, stop: (it: T) => unknown): Promise<T> => {
    const it = await thing;
    steps.push(() => stop(it));
    return it;
  };
  return {
    namespace,
    vhost,
    schemaOf,
    env,
    db: (service) => {
      let pool = pools.get(service);
      if (!pool) {
        pool = new Pool({
          connectionString: TEST_DATABASE_URL,
          max: 2,
          options: `-c search_path=${schemaOf(service)}`,
        });
        pools.set(service, pool);
      }
      const open = pool;
      return { query: async (sql, parameters) => (await open.query(sql, parameters)).rows };
    },
    startProcess: (service, settings = {}) =>
      started(startServiceProcess(service, { ...env(service), ...settings }), (process) => process.stop()),
    openBroker: (options) => {
      if (!vhost)
        throw new Error('openBroker: this corner has no vhost (openTestCorner(label, { vhost: true }))');
      return started(TestBroker.open(vhost.url, options), (broker) => broker.close());
    },
    openProxy: async (targetUrl) => {
      const proxy = await started(FaultProxy.open(targetUrl), (opened) => opened.dispose());
      proxies.push(proxy);
      return proxy;
    },
    defer: (step) => void steps.push(step),
    dispose: async () => {
      const errors: unknown[] = [];
      const run = async (step: () => unknown) => {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      };
      for (const proxy of proxies.splice(0)) await run(() => proxy.restore());
      for (const step of steps.splice(0).reverse()) await run(step);
      for (const pool of pools.values()) await run(() => pool.end());
      pools.clear();
      if (vhost) await run(() => vhost.dispose());
      await run(() => namespace.dispose());
      if (errors.length) throw new AggregateError(errors, `disposing the test corner ${namespace.id}`);
    },
  };
}

/** Opens a corner and runs `start` in it; if that fails, the corner is disposed before the error goes on. */
export async function startInCorner<T>(
  label: string,
  options: { vhost: true },
  start: (corner: TestCorner & { vhost: TestVhost }) => Promise<T>,
): Promise<T>;
export async function startInCorner<T>(
  label: string,
  options: { vhost?: false },
  start: (corner: TestCorner) => Promise<T>,
): Promise<T>;
export async function startInCorner<T>(
  label: string,
  options: { vhost?: boolean },
  start: (corner: TestCorner & { vhost: TestVhost }) => Promise<T>,
): Promise<T> {
  const corner = (await openTestCorner(label, options)) as TestCorner & { vhost: TestVhost };
  try {
    return await start(corner);
  } catch (error) {
    await corner.dispose();
    throw error;
  }
}
