import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { LuaScript } from '@boxoffice/redis/lua-script';

const script = new LuaScript(join(__dirname, 'lua', 'lease.lua'));

/**
 * One order instance at a time drives the auto rooms' rate: a Redis lease, renewed by its holder each time it
 * steers, taken over by another instance within `ttlMs` of its holder's end. Two holders for a moment would only
 * both write a rate, each through room.lua's 'rate' step (served at the old rate up to now): never a double move.
 */
export class RateLease {
  private readonly holder = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** True when this instance may take the lease (free, or its own), taking or renewing nothing. */
  async mayHold(): Promise<boolean> {
    const holder = await this.redis.get(this.key);
    return holder === null || holder === this.holder;
  }

  /** True while this instance holds the lease (taken or renewed now). */
  async hold(): Promise<boolean> {
    return (await script.run(this.redis, [this.key], [this.holder, this.ttlMs])) === 1;
  }
}
