import { readHost, readInt, readName, readNumber, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the payment service; read and validated once, at boot. */
export class PaymentConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseSchema: string;
  readonly databasePoolSize: number;
  readonly rabbitmqUrl: string;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly publishTimeoutMs: number;
  readonly outboxBatchSize: number;
  readonly outboxPollIntervalMs: number;
  readonly outboxRetentionMs: number;
  readonly gatewayLatencyMs: number;
  readonly gatewayDeclineRate: number;
  readonly bodyLimitBytes: number;

  constructor(env: NodeJS.ProcessEnv) {
    this.host = readHost(env, 'PAYMENT_HOST', '127.0.0.1');
    this.port = readInt(env, 'PAYMENT_PORT', 8003, 0, 65535);
    this.databaseUrl = readUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/boxoffice', [
      'postgres:',
      'postgresql:',
    ]);
    this.databaseSchema = readName(env, 'PAYMENT_DB_SCHEMA', 'payment');
    this.databasePoolSize = readInt(env, 'PAYMENT_DB_POOL_SIZE', 20, 1, 500);
    this.rabbitmqUrl = readUrl(env, 'RABBITMQ_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']);
    this.prefetch = readInt(env, 'RABBITMQ_PREFETCH', 50, 1, 10_000);
    this.maxAttempts = readInt(env, 'MESSAGE_MAX_ATTEMPTS', 8, 1, 1000);
    this.retryDelayMs = readInt(env, 'MESSAGE_RETRY_DELAY_MS', 1000, 10, 3_600_000);
    this.publishTimeoutMs = readInt(env, 'PUBLISH_TIMEOUT_MS', 5000, 100, 120_000);
    this.outboxBatchSize = readInt(env, 'OUTBOX_BATCH_SIZE', 100, 1, 10_000);
    this.outboxPollIntervalMs = readInt(env, 'OUTBOX_POLL_INTERVAL_MS', 500, 10, 60_000);
    this.outboxRetentionMs = readInt(env, 'OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000;
    this.gatewayLatencyMs = readInt(env, 'GATEWAY_LATENCY_MS', 50, 0, 60_000);
    this.gatewayDeclineRate = readNumber(env, 'GATEWAY_DECLINE_RATE', 0, 0, 1);
    this.bodyLimitBytes = readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760);
  }
}
