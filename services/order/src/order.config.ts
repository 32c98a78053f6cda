import { readHost, readInt, readName, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the order service; read and validated once, at boot. */
export class OrderConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseSchema: string;
  readonly databasePoolSize: number;
  readonly inventoryUrl: string;
  readonly inventoryTimeoutMs: number;
  readonly inventoryConnections: number;
  readonly rabbitmqUrl: string;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly publishTimeoutMs: number;
  readonly outboxBatchSize: number;
  readonly outboxPollIntervalMs: number;
  readonly outboxRetentionMs: number;
  readonly paymentTimeoutMs: number;
  readonly timeoutSweepIntervalMs: number;
  readonly bodyLimitBytes: number;

  constructor(env: NodeJS.ProcessEnv) {
    this.host = readHost(env, 'ORDER_HOST', '127.0.0.1');
    this.port = readInt(env, 'ORDER_PORT', 8002, 0, 65535);
    this.databaseUrl = readUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/boxoffice', [
      'postgres:',
      'postgresql:',
    ]);
    this.databaseSchema = readName(env, 'ORDER_DB_SCHEMA', 'orders');
    this.databasePoolSize = readInt(env, 'ORDER_DB_POOL_SIZE', 20, 1, 500);
    this.inventoryUrl = readUrl(env, 'INVENTORY_URL', 'http://127.0.0.1:8001', ['http:', 'https:']);
    this.inventoryTimeoutMs = readInt(env, 'INVENTORY_TIMEOUT_MS', 3000, 50, 60_000);
    this.inventoryConnections = readInt(env, 'INVENTORY_CONNECTIONS', 64, 1, 1024);
    this.rabbitmqUrl = readUrl(env, 'RABBITMQ_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']);
    this.prefetch = readInt(env, 'RABBITMQ_PREFETCH', 50, 1, 10_000);
    this.maxAttempts = readInt(env, 'MESSAGE_MAX_ATTEMPTS', 8, 1, 1000);
    this.retryDelayMs = readInt(env, 'MESSAGE_RETRY_DELAY_MS', 1000, 10, 3_600_000);
    this.publishTimeoutMs = readInt(env, 'PUBLISH_TIMEOUT_MS', 5000, 100, 120_000);
    this.outboxBatchSize = readInt(env, 'OUTBOX_BATCH_SIZE', 100, 1, 10_000);
    this.outboxPollIntervalMs = readInt(env, 'OUTBOX_POLL_INTERVAL_MS', 500, 10, 60_000);
    this.outboxRetentionMs = readInt(env, 'OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000;
    // Longer than inventory's hold (HOLD_TTL_SECONDS, 600): normally the payment answers long before either.
    this.paymentTimeoutMs = readInt(env, 'ORDER_PAYMENT_TIMEOUT_SECONDS', 900, 1, 86_400) * 1000;
    this.timeoutSweepIntervalMs = readInt(env, 'ORDER_TIMEOUT_SWEEP_INTERVAL_MS', 5000, 50, 600_000);
    this.bodyLimitBytes = readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760);
  }
}
