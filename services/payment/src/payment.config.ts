import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { readDatabaseSettings, type DatabaseSettings } from '@boxoffice/database/database-settings';
import { readHttpSettings, type HttpSettings } from '@boxoffice/http/http-settings';
import { readTracingSettings, type TracingSettings } from '@boxoffice/tracing/tracing-settings';
import { readMetricsSettings, type MetricsSettings } from '@boxoffice/metrics/metrics-settings';
import { readLogSettings, type LogSettings } from '@boxoffice/logging/log-settings';
import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings, type OutboxSettings } from '@boxoffice/outbox/outbox-settings';

/** Every setting of the payment service; read and validated once, at boot, every bad variable named at once. */
export class PaymentConfig {
  readonly http: HttpSettings;
  readonly tracing: TracingSettings;
  readonly log: LogSettings;
  readonly database: DatabaseSettings;
  readonly metrics: MetricsSettings;
  readonly gatewayLatencyMs: number;
  readonly gatewayDeclineRate: number;
  readonly gatewayTimeoutMs: number;
  readonly reconcileIntervalMs: number;
  /** A charge without a payment this long after it was made is recorded from the processor's record. */
  readonly reconcileAfterSeconds: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxSettings;

  constructor(environment: NodeJS.ProcessEnv) {
    const env = new EnvReader(environment);
    this.http = readHttpSettings(env, 'PAYMENT', INFRASTRUCTURE_DEFAULTS.ports.payment);
    this.tracing = readTracingSettings(env, 'payment');
    this.log = readLogSettings(env, 'payment');
    this.database = readDatabaseSettings(env, 'PAYMENT', INFRASTRUCTURE_DEFAULTS.schemas.payment);
    this.gatewayLatencyMs = env.int('GATEWAY_LATENCY_MS', 50, 0, 60_000);
    this.gatewayDeclineRate = env.number('GATEWAY_DECLINE_RATE', 0, 0, 1);
    this.gatewayTimeoutMs = env.int('GATEWAY_TIMEOUT_MS', 5_000, 1, 60_000);
    this.reconcileIntervalMs = env.int('PAYMENT_RECONCILE_INTERVAL_MS', 60_000, 100, 3_600_000);
    this.reconcileAfterSeconds = env.int('PAYMENT_RECONCILE_AFTER_SECONDS', 300, 1, 86_400);
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
    this.metrics = readMetricsSettings(env);
    env.done();
  }
}
