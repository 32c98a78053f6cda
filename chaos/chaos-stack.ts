import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { allStarted } from '@boxoffice/testing/all-started';
import { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { freePort } from '@boxoffice/testing/free-port';
import { startServiceProcess, type ServiceProcess } from '@boxoffice/testing/service-process';
import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import type { AuditSettings } from '../ops/audit/audit-settings';
import { PrivatePostgres } from './servers/private-postgres';
import { PrivateRabbitmq } from './servers/private-rabbitmq';
import { PrivateRedis } from './servers/private-redis';

export type ServiceName = 'inventory' | 'order' | 'payment';

/** Short timers, so that a scenario's every order ends within a minute or two of the fault. */
const CHAOS_SETTINGS: Record<string, string> = {
  ORDER_PAYMENT_TIMEOUT_SECONDS: '30',
  ORDER_SAGA_DRIVER_INTERVAL_MS: '1000',
  ORDER_RESEND_AFTER_MS: '10000', // a lost message re-sent well within the payment timeout
  HOLD_TTL_SECONDS: '30',
  HOLD_SWEEP_INTERVAL_MS: '500',
  MESSAGE_RETRY_DELAY_MS: '250',
  MESSAGE_RETRY_MAX_DELAY_MS: '2000',
  OUTBOX_POLL_INTERVAL_MS: '100',
  GATEWAY_LATENCY_MS: '5',
  INVENTORY_TIMEOUT_MS: '2000',
};

export interface ChaosStackOptions {
  instances?: Partial<Record<ServiceName, number>>;
  /** Order reaches inventory through a FaultProxy (`inventoryLinks`), so the network between them can fail. */
  proxyInventory?: boolean;
  /** Settings on top of the chaos defaults, for every service. */
  settings?: Record<string, string>;
}

interface Instance {
  port: number;
  env: Record<string, string>;
  process?: ServiceProcess;
}

/**
 * Private Postgres, Redis and RabbitMQ on ports of their own, and the services as real processes on them: a
 * scenario may stop, kill or corrupt any part without touching the machine's servers or anyone's data.
 */
export class ChaosStack {
  private readonly instances = new Map<ServiceName, Instance[]>();
  /** With `proxyInventory`: the link each order instance reaches inventory through. */
  readonly inventoryLinks: FaultProxy[] = [];

  private constructor(
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly rabbitmq: PrivateRabbitmq,
  ) {}

  static async start(name: string, options: ChaosStackOptions = {}): Promise<ChaosStack> {
    const [postgres, redis, rabbitmq] = await Promise.all([
      PrivatePostgres.start(name),
      PrivateRedis.start(name),
      PrivateRabbitmq.start(name),
    ]);
    const stack = new ChaosStack(postgres, redis, rabbitmq);
    try {
      const counts = { inventory: 1, order: 1, payment: 1, ...options.instances };
      const shared = {
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        RABBITMQ_URL: rabbitmq.url,
        ...TEST_TOKENS,
        ...CHAOS_SETTINGS,
        ...options.settings,
      };
      // Inventory's ports first: each order instance calls the inventory instance of its own index (or the first).
      for (const service of ['inventory', 'payment', 'order'] as const) {
        const instances: Instance[] = [];
        for (let i = 0; i < counts[service]; i++) {
          const inventories = stack.instances.get('inventory') ?? [];
          const inventory = inventories[i % Math.max(inventories.length, 1)];
          let inventoryUrl = `http://127.0.0.1:${inventory?.port}`;
          if (service === 'order' && options.proxyInventory) {
            const link = await FaultProxy.open(inventoryUrl);
            stack.inventoryLinks.push(link);
            inventoryUrl = link.url(inventoryUrl);
          }
          instances.push({
            port: await freePort(),
            env: { ...shared, ...(service === 'order' && { INVENTORY_URL: inventoryUrl }) },
          });
        }
        stack.instances.set(service, instances);
      }
      await stack.startAll();
      return stack;
    } catch (error) {
      await stack.dispose();
      throw error;
    }
  }

  /**
   * Every instance at once (they compile and boot in parallel): none waits on another to start, order calls
   * inventory only for a sale, and the migrations take turns under their lock.
   */
  private async startAll(): Promise<void> {
    await allStarted(
      [...this.instances].flatMap(([service, instances]) =>
        instances.map((_, i) => this.restart(service, i)),
      ),
    );
  }

  urls(service: ServiceName): string[] {
    return this.list(service).map((instance) => `http://127.0.0.1:${instance.port}`);
  }

  /** SIGKILL, as a crash: no shutdown hook runs, in-flight work is cut wherever it was. */
  async kill(service: ServiceName, index = 0): Promise<void> {
    await this.list(service)[index].process?.kill();
  }

  /** Stops the instance as a deploy does (SIGTERM: its shutdown hooks run); `restart` brings it back. */
  async stop(service: ServiceName, index = 0): Promise<void> {
    await this.list(service)[index].process?.stop();
  }

  /** Starts the instance (again) on its port, and waits until it is healthy. */
  async restart(service: ServiceName, index = 0): Promise<void> {
    const instance = this.list(service)[index];
    await instance.process?.stop();
    instance.process = await startServiceProcess(service, instance.env, {
      port: instance.port,
      healthTimeoutMs: 60_000,
    });
  }

  /** What each instance printed, for a failed scenario's report. */
  output(service: ServiceName, index = 0): string {
    return this.list(service)[index].process?.output() ?? '';
  }

  auditSettings(): AuditSettings {
    return {
      databaseUrl: this.postgres.url,
      schemas: INFRASTRUCTURE_DEFAULTS.schemas,
      redisUrl: this.redis.url,
      redisPrefix: INFRASTRUCTURE_DEFAULTS.redisPrefix,
      vhost: '/',
      rabbitmqManagementUrl: this.rabbitmq.managementUrl,
    };
  }

  async dispose(): Promise<void> {
    const instances = [...this.instances.values()].flat();
    await Promise.all(instances.map(async (instance) => instance.process?.stop()));
    await Promise.all(this.inventoryLinks.map((link) => link.dispose()));
    await Promise.all([this.postgres.dispose(), this.redis.dispose(), this.rabbitmq.dispose()]);
  }

  private list(service: ServiceName): Instance[] {
    return this.instances.get(service) ?? [];
  }
}
