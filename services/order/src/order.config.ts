import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings } from '@boxoffice/outbox/outbox-settings';
import type { OutboxRelayOptions } from '@boxoffice/outbox/outbox-relay';
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
  readonly paymentTimeoutMs: number;
  readonly timeoutSweepIntervalMs: number;
  readonly bodyLimitBytes: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxRelayOptions;

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
    // Longer than inventory's hold (HOLD_TTL_SECONDS, 600): normally the payment answers long before either.
    this.paymentTimeoutMs = readInt(env, 'ORDER_PAYMENT_TIMEOUT_SECONDS', 900, 1, 86_400) * 1000;
    this.timeoutSweepIntervalMs = readInt(env, 'ORDER_TIMEOUT_SWEEP_INTERVAL_MS', 5000, 50, 600_000);
    this.bodyLimitBytes = readInt(env, 'HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760);
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
  }
}
