import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings } from '@boxoffice/outbox/outbox-settings';
import type { OutboxRelayOptions } from '@boxoffice/outbox/outbox-relay';
import { readHost, readInt, readName, readNumber, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the payment service; read and validated once, at boot. */
export class PaymentConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseSchema: string;
  readonly databasePoolSize: number;
  readonly gatewayLatencyMs: number;
  readonly gatewayDeclineRate: number;
  readonly bodyLimitBytes: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxRelayOptions;

  constructor(env: NodeJS.ProcessEnv) {
    this.host = readHost(env, 'PAYMENT_HOST', '127.0.0.1');
    this.port = readInt(env, 'PAYMENT_PORT', 8003, 0, 65535);
    this.databaseUrl = readUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/boxoffice', [
      'postgres:',
      'postgresql:',
    ]);
    this.databaseSchema = readName(env, 'PAYMENT_DB_SCHEMA', 'payment');
    this.databasePoolSize = readInt(env, 'PAYMENT_DB_POOL_SIZE', 20, 1, 500);
    this.gatewayLatencyMs = readInt(env, 'GATEWAY_LATENCY_MS', 50, 0, 60_000);
    this.gatewayDeclineRate = readNumber(env, 'GATEWAY_DECLINE_RATE', 0, 0, 1);
    this.bodyLimitBytes = readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760);
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
  }
}
