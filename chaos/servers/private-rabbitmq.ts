import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { ownBy, runCommand } from './run-command';

/**
 * A RabbitMQ node of its own (own node name, ports, data directory, management plugin on), beside the machine's
 * node: a scenario can stop it without touching anyone else. The Erlang cookie and epmd are shared.
 */
export class PrivateRabbitmq {
  private constructor(
    private readonly dir: string,
    private readonly node: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly amqpPort: number,
    readonly managementPort: number,
  ) {}

  static async start(name: string): Promise<PrivateRabbitmq> {
    const dir = mkdtempSync(join(tmpdir(), `boxoffice-${name}-rabbitmq-`));
    const [amqpPort, managementPort, distPort] = [await freePort(), await freePort(), await freePort()];
    const node = `${name}_${amqpPort}@localhost`;
    writeFileSync(
      join(dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
        `management.tcp.port = ${managementPort}`,
        'loopback_users = none',
        // Queue counts in the management API lag by this much: the runner's "quiet" must not read old zeros.
        'collect_statistics_interval = 1000',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
    await ownBy('rabbitmq', dir);
    const env = {
      ...process.env,
      RABBITMQ_NODENAME: node,
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    };
    const server = new PrivateRabbitmq(dir, node, env, amqpPort, managementPort);
    await server.resume();
    return server;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.amqpPort}`;
  }

  get managementUrl(): string {
    return `http://guest:guest@127.0.0.1:${this.managementPort}`;
  }

  /** Starts the node (again) and waits until its management API answers, queues and all. */
  async resume(): Promise<void> {
    await runCommand('rabbitmq-server', ['-detached'], { env: this.env });
    const management = new RabbitManagement(this.managementUrl);
    await eventually(() => management.request('GET', '/overview'), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: `RabbitMQ node ${this.node} up`,
    });
  }

  /**
   * Deletes every ready message of the queue, as an operator's purge does (the management UI's _Purge_,
   * `rabbitmqctl purge_queue`): lost for good. Returns how many there were; unacked deliveries are left alone.
   */
  async purge(queue: string): Promise<number> {
    const connection = await connect(this.url);
    try {
      const channel = await connection.createChannel();
      return (await channel.purgeQueue(queue)).messageCount;
    } finally {
      await connection.close();
    }
  }

  /** Stops the node as a crash of the broker would look to its clients: every connection drops. */
  async stop(): Promise<void> {
    await runCommand('rabbitmqctl', ['-n', this.node, 'stop'], { env: this.env });
  }

  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
