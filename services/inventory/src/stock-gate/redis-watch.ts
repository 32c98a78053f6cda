import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainError } from '@boxoffice/errors/domain-error';
import { unfitReasons } from './redis-fitness';

/**
 * Keeps the gate honest about which Redis it talks to. At boot an unfit Redis stops the service; after a reconnect
 * the gate refuses to serve (503) while Redis is unfit, and when Redis is another instance than before (its run id
 * changed: a restart, a failover to a replica, a snapshot restored) every sale is dropped from it, so each is
 * rebuilt from the ledger before it serves again.
 */
export class RedisWatch {
  private readonly logger = new Logger('redis-watch');
  private runId = '';
  private unfit: string | null = 'not checked yet';

  private constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly prefix: string,
  ) {}

  static async start(redis: Redis, url: string, prefix: string): Promise<RedisWatch> {
    const watch = new RedisWatch(redis, url, prefix);
    const reasons = await unfitReasons(redis, url);
    if (reasons.length) throw new Error(`Redis cannot hold the stock gate: ${reasons.join('; ')}`);
    watch.runId = await watch.currentRunId();
    watch.unfit = null;
    redis.on('ready', () => {
      watch.unfit = 'reconnected, checking';
      watch.recheck().catch((error: Error) => {
        watch.unfit = `could not check Redis after a reconnect: ${error.message}`;
        watch.logger.warn(watch.unfit);
      });
    });
    return watch;
  }

  /** Throws 503 while this Redis may not be trusted. */
  assertServing(): void {
    if (this.unfit) throw new DomainError('UNAVAILABLE', `stock gate paused: ${this.unfit}`);
  }

  /** After a reconnect: still fit? still the same instance? Resolves once the gate may serve again. */
  async recheck(): Promise<void> {
    const reasons = await unfitReasons(this.redis, this.url);
    if (reasons.length) {
      this.unfit = reasons.join('; ');
      this.logger.error(`not serving: ${this.unfit}`);
      return;
    }
    const runId = await this.currentRunId();
    if (runId !== this.runId) {
      const dropped = await this.dropEverySale();
      this.logger.warn(
        `Redis is another instance (run id ${runId}); dropped ${dropped} keys to rebuild from the ledger`,
      );
      this.runId = runId;
    }
    this.unfit = null;
  }

  private async currentRunId(): Promise<string> {
    const info = await this.redis.info('server');
    return /run_id:(\w+)/.exec(info)?.[1] ?? '';
  }

  private async dropEverySale(): Promise<number> {
    let dropped = 0;
    for await (const keys of this.redis.scanStream({
      match: `${this.prefix}:{*`,
      count: 1000,
    }) as AsyncIterable<string[]>) {
      if (keys.length) dropped += await this.redis.unlink(...keys);
    }
    return dropped;
  }
}
