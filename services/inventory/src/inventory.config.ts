import { readHost, readInt, readName, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the inventory service; read and validated once, at boot. */
export class InventoryConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseSchema: string;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly holdTtlMs: number;
  readonly holdSweepIntervalMs: number;
  readonly bodyLimitBytes: number;

  constructor(env: NodeJS.ProcessEnv) {
    this.host = readHost(env, 'INVENTORY_HOST', '127.0.0.1');
    this.port = readInt(env, 'INVENTORY_PORT', 8001, 0, 65535);
    this.databaseUrl = readUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/boxoffice', [
      'postgres:',
      'postgresql:',
    ]);
    this.databaseSchema = readName(env, 'INVENTORY_DB_SCHEMA', 'inventory');
    this.databasePoolSize = readInt(env, 'INVENTORY_DB_POOL_SIZE', 20, 1, 500);
    this.redisUrl = readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
    this.redisPrefix = readName(env, 'INVENTORY_REDIS_PREFIX', 'boxoffice');
    this.holdTtlMs = readInt(env, 'HOLD_TTL_SECONDS', 600, 1, 86_400) * 1000;
    this.holdSweepIntervalMs = readInt(env, 'HOLD_SWEEP_INTERVAL_MS', 1000, 50, 600_000);
    this.bodyLimitBytes = readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760);
  }
}
