import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { readDatabaseSettings, type DatabaseSettings } from '@boxoffice/database/database-settings';
import { readApiTokens } from '@boxoffice/http/api-tokens';
import { readHttpSettings, type HttpSettings } from '@boxoffice/http/http-settings';
import { readTracingSettings, type TracingSettings } from '@boxoffice/tracing/tracing-settings';
import { readMetricsSettings, type MetricsSettings } from '@boxoffice/metrics/metrics-settings';
import { readLogSettings, type LogSettings } from '@boxoffice/logging/log-settings';
import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings, type OutboxSettings } from '@boxoffice/outbox/outbox-settings';
import { readBuyerTokenSettings, type BuyerTokenSettings } from './buyers/buyer-token-settings';
import { readWaitingRoomSettings, type WaitingRoomSettings } from './waiting-room/waiting-room-settings';

/** Every setting of the order service; read and validated once, at boot, every bad variable named at once. */
export class OrderConfig {
  readonly http: HttpSettings;
  readonly tracing: TracingSettings;
  readonly log: LogSettings;
  readonly database: DatabaseSettings;
  readonly metrics: MetricsSettings;
  readonly inventoryUrl: string;
  readonly inventoryTimeoutMs: number;
  readonly inventoryConnections: number;
  /** SERVICE_TOKEN: what inventory's reservation API asks of its one caller. */
  readonly inventoryToken: string;
  /** ADMIN_TOKEN: what an operator sends to set a sale's waiting room. */
  readonly adminToken: string;
  /** REDIS_URL and ORDER_REDIS_PREFIX: where the waiting rooms' queues live. */
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** ADMISSION_TOKEN_SECRET, WAITING_ROOM_ADMISSION_SECONDS, WAITING_ROOM_AUTO_*. */
  readonly waitingRoom: WaitingRoomSettings;
  /** BUYER_JWT_*: whose bearer tokens name the buyer of POST /orders; null: the body's userId is trusted. */
  readonly buyers: BuyerTokenSettings | null;
  readonly requestDeadlineMs: number;
  readonly maxInFlight: number;
  /** The most orders one batch takes: one reserve call to inventory, one orders transaction (ORDER_BATCH_MAX_ITEMS). */
  readonly batchMaxItems: number;
  readonly soldOutMemoryMs: number;
  readonly maxSagaBacklog: number;
  /** How long an order is CREATED before it counts toward maxSagaBacklog (ORDER_SAGA_BACKLOG_AFTER_SECONDS). */
  readonly sagaBacklogAfterSeconds: number;
  readonly paymentTimeoutMs: number;
  readonly idempotencyKeyRetentionMs: number;
  /** How often the saga's driver looks for orders due (ORDER_SAGA_DRIVER_INTERVAL_MS). */
  readonly sagaDriverIntervalMs: number;
  readonly resendAfterMs: number;
  /** How often the hold reconciliation looks for holds without an order (ORDER_HOLD_RECONCILE_INTERVAL_MS). */
  readonly holdReconcileIntervalMs: number;
  /** How old a hold must be for it to look (ORDER_HOLD_RECONCILE_AFTER_SECONDS). */
  readonly holdReconcileAfterSeconds: number;
  readonly resendMaxMs: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxSettings;

  constructor(environment: NodeJS.ProcessEnv) {
    const env = new EnvReader(environment);
    const { ports } = INFRASTRUCTURE_DEFAULTS;
    this.http = readHttpSettings(env, 'ORDER', ports.order);
    this.tracing = readTracingSettings(env, 'order');
    this.log = readLogSettings(env, 'order');
    this.database = readDatabaseSettings(env, 'ORDER', INFRASTRUCTURE_DEFAULTS.schemas.order);
    this.inventoryUrl = env.url('INVENTORY_URL', `http://127.0.0.1:${ports.inventory}`, ['http:', 'https:']);
    this.inventoryTimeoutMs = env.int('INVENTORY_TIMEOUT_MS', 3000, 50, 60_000);
    this.inventoryConnections = env.int('INVENTORY_CONNECTIONS', 64, 1, 1024);
    const tokens = readApiTokens(env, ['service', 'admin']);
    this.inventoryToken = tokens.service;
    this.adminToken = tokens.admin;
    this.redisUrl = env.url('REDIS_URL', INFRASTRUCTURE_DEFAULTS.redisUrl, ['redis:', 'rediss:']);
    this.redisPrefix = env.name('ORDER_REDIS_PREFIX', INFRASTRUCTURE_DEFAULTS.redisPrefix);
    this.waitingRoom = readWaitingRoomSettings(env);
    this.buyers = readBuyerTokenSettings(env, environment);
    // POST /orders answers within this (docs/contract.md §2): a request still waiting then is a 503.
    this.requestDeadlineMs = env.int('ORDER_REQUEST_DEADLINE_MS', 5000, 100, 120_000);
    // About what the order transaction clears in half a second (~2.6k/s, docs/decisions.md): more waits in queues.
    this.maxInFlight = env.int('ORDER_MAX_IN_FLIGHT', 1000, 1, 100_000);
    // At most inventory's INVENTORY_BATCH_MAX_ITEMS (100 by default), or inventory refuses the batch.
    this.batchMaxItems = env.int('ORDER_BATCH_MAX_ITEMS', 100, 1, 1000);
    // How stale a SOLD_OUT answered from memory may be: a returned ticket is on sale again within this (0: never).
    this.soldOutMemoryMs = env.int('ORDER_SOLD_OUT_MEMORY_MS', 250, 0, 10_000);
    // Orders of a sale the saga is late with (all instances) beyond which no new stock of it is taken.
    this.maxSagaBacklog = env.int('ORDER_MAX_SAGA_BACKLOG', 500, 0, 1_000_000);
    // Late: CREATED this long. A saga that keeps up ends an order within a second or so, storm or not; the several
    // hundred it always has in flight then are no backlog (0: every CREATED order counts).
    this.sagaBacklogAfterSeconds = env.int('ORDER_SAGA_BACKLOG_AFTER_SECONDS', 2, 0, 3600);
    // Auto rooms cut their rate on late orders: before the backlog limit refuses orders (503 OVERLOADED), not after.
    if (this.maxSagaBacklog > 0 && this.waitingRoom.auto.lateOrders >= this.maxSagaBacklog) {
      if (environment.WAITING_ROOM_AUTO_LATE_ORDERS)
        env.refuse(
          'WAITING_ROOM_AUTO_LATE_ORDERS must be below ORDER_MAX_SAGA_BACKLOG (or the limit 0: none)',
        );
      // Not set, under a small limit: half of it, so that a room still slows before buyers are refused.
      else this.waitingRoom.auto.lateOrders = Math.max(1, Math.floor(this.maxSagaBacklog / 2));
    }
    // Longer than inventory's hold (HOLD_TTL_SECONDS, 600): normally the payment answers long before either.
    this.paymentTimeoutMs = env.int('ORDER_PAYMENT_TIMEOUT_SECONDS', 900, 1, 86_400) * 1000;
    this.idempotencyKeyRetentionMs = env.int('IDEMPOTENCY_KEY_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000;
    // ORDER_TIMEOUT_SWEEP_INTERVAL_MS is its name from before the driver: still read, validated, deprecated.
    const deprecated = env.int('ORDER_TIMEOUT_SWEEP_INTERVAL_MS', 5000, 50, 600_000);
    this.sagaDriverIntervalMs = env.int('ORDER_SAGA_DRIVER_INTERVAL_MS', deprecated, 50, 600_000);
    if (environment.ORDER_TIMEOUT_SWEEP_INTERVAL_MS && environment.ORDER_SAGA_DRIVER_INTERVAL_MS)
      env.refuse(
        'ORDER_TIMEOUT_SWEEP_INTERVAL_MS is the deprecated name of ORDER_SAGA_DRIVER_INTERVAL_MS: set one',
      );
    // A step not answered within this is done again (order_created, the commit, the release, order_cancelled), then
    // after twice as long each time, up to the max: a lost message costs seconds, a long outage few re-sends. Longer
    // than payment's normal backlog (docs/decisions.md): an order_created re-sent while the first waits in payment's
    // queue only doubles payment's work.
    this.resendAfterMs = env.int('ORDER_RESEND_AFTER_MS', 30_000, 50, 3_600_000);
    this.resendMaxMs = env.int('ORDER_RESEND_MAX_MS', 300_000, 50, 86_400_000);
    if (this.resendMaxMs < this.resendAfterMs)
      env.refuse('ORDER_RESEND_MAX_MS must be at least ORDER_RESEND_AFTER_MS');
    this.holdReconcileIntervalMs = env.int('ORDER_HOLD_RECONCILE_INTERVAL_MS', 30_000, 100, 3_600_000);
    this.holdReconcileAfterSeconds = env.int('ORDER_HOLD_RECONCILE_AFTER_SECONDS', 60, 1, 86_400);
    // An order's transaction begins before its request's deadline; the margin covers order's and inventory's clocks.
    if (this.holdReconcileAfterSeconds * 1000 < 2 * this.requestDeadlineMs + 5000)
      env.refuse(
        'ORDER_HOLD_RECONCILE_AFTER_SECONDS must be at least twice ORDER_REQUEST_DEADLINE_MS plus 5 s: a younger hold may still get its order',
      );
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
    this.metrics = readMetricsSettings(env);
    env.done();
  }
}
