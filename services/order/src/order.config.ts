import {
  readDatabaseSettings,
  readHttpSettings,
  type DatabaseSettings,
  type HttpSettings,
} from '@boxoffice/platform/config/service-settings';
import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings } from '@boxoffice/outbox/outbox-settings';
import type { OutboxRelayOptions } from '@boxoffice/outbox/outbox-relay';
import { readInt, readUrl } from '@boxoffice/platform/config/env';

/** Every setting of the order service; read and validated once, at boot. */
export class OrderConfig {
  readonly http: HttpSettings;
  readonly database: DatabaseSettings;
  readonly inventoryUrl: string;
  readonly inventoryTimeoutMs: number;
  readonly inventoryConnections: number;
  readonly paymentTimeoutMs: number;
  readonly timeoutSweepIntervalMs: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxRelayOptions;

  constructor(env: NodeJS.ProcessEnv) {
    this.http = readHttpSettings(env, 'ORDER', 8002);
    this.database = readDatabaseSettings(env, 'ORDER', 'orders');
    this.inventoryUrl = readUrl(env, 'INVENTORY_URL', 'http://127.0.0.1:8001', ['http:', 'https:']);
    this.inventoryTimeoutMs = readInt(env, 'INVENTORY_TIMEOUT_MS', 3000, 50, 60_000);
    this.inventoryConnections = readInt(env, 'INVENTORY_CONNECTIONS', 64, 1, 1024);
    // Longer than inventory's hold (HOLD_TTL_SECONDS, 600): normally the payment answers long before either.
    this.paymentTimeoutMs = readInt(env, 'ORDER_PAYMENT_TIMEOUT_SECONDS', 900, 1, 86_400) * 1000;
    this.timeoutSweepIntervalMs = readInt(env, 'ORDER_TIMEOUT_SWEEP_INTERVAL_MS', 5000, 50, 600_000);
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
  }
}
