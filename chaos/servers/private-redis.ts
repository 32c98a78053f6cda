import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { runCommand } from './run-command';

/** A Redis of its own on another port, keeping nothing on disk, as inventory requires. */
export class PrivateRedis {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(name: string): Promise<PrivateRedis> {
    const server = new PrivateRedis(
      mkdtempSync(join(tmpdir(), `boxoffice-${name}-redis-`)),
      await freePort(),
    );
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again): empty, since it keeps nothing on disk. */
  async resume(): Promise<void> {
    await runCommand('redis-server', [
      ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--daemonize', 'yes', '--dir', this.dir, '--pidfile', join(this.dir, 'redis.pid')],
      ...['--logfile', join(this.dir, 'redis.log')],
    ]);
    await eventually(() => this.command((redis) => redis.ping()), { what: `Redis on ${this.port} up` });
  }

  /** Kills it without a save: whatever it held is gone. */
  async stop(): Promise<void> {
    await this.command((redis) => redis.shutdown('NOSAVE')).catch(() => undefined);
    await eventually(async () => !(await this.command((redis) => redis.ping()).catch(() => false)), {
      what: `Redis on ${this.port} down`,
    });
  }

  /** Runs commands on a connection of its own (DUMP/RESTORE of a sale's keys, for a stale cache). */
  async command<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return await work(redis);
    } finally {
      redis.disconnect();
    }
  }

  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
