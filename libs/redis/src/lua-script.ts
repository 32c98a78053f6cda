import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';

/** One Lua script: loaded once, called by SHA, loaded again when Redis answers NOSCRIPT (after a restart or flush). */
export class LuaScript {
  private readonly source: string;
  readonly sha: string;

  /** `file`: the script's path (a service's `lua/<name>.lua`, copied beside its code by the build). */
  constructor(file: string) {
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await redis.script('LOAD', this.source);
      return redis.evalsha(this.sha, keys.length, ...keys, ...args);
    }
  }
}
