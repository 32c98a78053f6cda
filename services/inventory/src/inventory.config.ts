import {
  readDatabaseSettings,
  readHttpSettings,
  type DatabaseSettings,
  type HttpSettings,
} from '@boxoffice/platform/config/service-settings';
import { readInt, readName, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the inventory service; read and validated once, at boot. */
export class InventoryConfig {
  readonly http: HttpSettings;
  readonly database: DatabaseSettings;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly holdTtlMs: number;
  readonly holdSweepIntervalMs: number;

  constructor(env: NodeJS.ProcessEnv) {
    this.http = readHttpSettings(env, 'INVENTORY', 8001);
    this.database = readDatabaseSettings(env, 'INVENTORY', 'inventory');
    this.redisUrl = readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
    this.redisPrefix = readName(env, 'INVENTORY_REDIS_PREFIX', 'boxoffice');
    this.holdTtlMs = readInt(env, 'HOLD_TTL_SECONDS', 600, 1, 86_400) * 1000;
    this.holdSweepIntervalMs = readInt(env, 'HOLD_SWEEP_INTERVAL_MS', 1000, 50, 600_000);
  }
}
