import { BATCH_ITEMS_CAP } from '@boxoffice/contracts/inventory/reservation-batch.dto';
import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { readDatabaseSettings, type DatabaseSettings } from '@boxoffice/database/database-settings';
import { readApiTokens, type ApiTokens } from '@boxoffice/http/api-tokens';
import { readHttpSettings, type HttpSettings } from '@boxoffice/http/http-settings';
import { readTracingSettings, type TracingSettings } from '@boxoffice/tracing/tracing-settings';
import { readMetricsSettings, type MetricsSettings } from '@boxoffice/metrics/metrics-settings';
import { readLogSettings, type LogSettings } from '@boxoffice/logging/log-settings';

/** Every setting of the inventory service; read and validated once, at boot, every bad variable named at once. */
export class InventoryConfig {
  readonly http: HttpSettings;
  readonly tracing: TracingSettings;
  readonly log: LogSettings;
  readonly database: DatabaseSettings;
  readonly metrics: MetricsSettings;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly holdTtlMs: number;
  readonly holdSweepIntervalMs: number;
  /** A sale untouched this long leaves Redis (its ledger stays; the next call rebuilds it). */
  readonly gateIdleMs: number;
  /** The most items one batch call (reserve, commit, release) may carry. */
  readonly batchMaxItems: number;
  /** ADMIN_TOKEN changes sales, SERVICE_TOKEN (the order service's) reserves, commits and releases. */
  readonly tokens: ApiTokens;

  constructor(environment: NodeJS.ProcessEnv) {
    const env = new EnvReader(environment);
    this.http = readHttpSettings(env, 'INVENTORY', INFRASTRUCTURE_DEFAULTS.ports.inventory);
    this.tracing = readTracingSettings(env, 'inventory');
    this.log = readLogSettings(env, 'inventory');
    this.database = readDatabaseSettings(env, 'INVENTORY', INFRASTRUCTURE_DEFAULTS.schemas.inventory);
    this.redisUrl = env.url('REDIS_URL', INFRASTRUCTURE_DEFAULTS.redisUrl, ['redis:', 'rediss:']);
    this.redisPrefix = env.name('INVENTORY_REDIS_PREFIX', INFRASTRUCTURE_DEFAULTS.redisPrefix);
    this.holdTtlMs = env.int('HOLD_TTL_SECONDS', 600, 1, 86_400) * 1000;
    this.holdSweepIntervalMs = env.int('HOLD_SWEEP_INTERVAL_MS', 1000, 50, 600_000);
    this.gateIdleMs = env.int('INVENTORY_GATE_IDLE_HOURS', 24, 1, 24 * 365) * 3_600_000;
    this.batchMaxItems = env.int('INVENTORY_BATCH_MAX_ITEMS', 100, 1, BATCH_ITEMS_CAP);
    this.tokens = readApiTokens(env, ['admin', 'service']);
    this.metrics = readMetricsSettings(env);
    env.done();
  }
}
