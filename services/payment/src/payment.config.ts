import {
  readDatabaseSettings,
  readHttpSettings,
  type DatabaseSettings,
  type HttpSettings,
} from '@boxoffice/platform/config/service-settings';
import { readMessagingSettings, type MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { readOutboxSettings } from '@boxoffice/outbox/outbox-settings';
import type { OutboxRelayOptions } from '@boxoffice/outbox/outbox-relay';
import { readInt, readNumber } from '@boxoffice/platform/config/env';

/** Every setting of the payment service; read and validated once, at boot. */
export class PaymentConfig {
  readonly http: HttpSettings;
  readonly database: DatabaseSettings;
  readonly gatewayLatencyMs: number;
  readonly gatewayDeclineRate: number;
  readonly messaging: MessagingSettings;
  readonly outbox: OutboxRelayOptions;

  constructor(env: NodeJS.ProcessEnv) {
    this.http = readHttpSettings(env, 'PAYMENT', 8003);
    this.database = readDatabaseSettings(env, 'PAYMENT', 'payment');
    this.gatewayLatencyMs = readInt(env, 'GATEWAY_LATENCY_MS', 50, 0, 60_000);
    this.gatewayDeclineRate = readNumber(env, 'GATEWAY_DECLINE_RATE', 0, 0, 1);
    this.messaging = readMessagingSettings(env);
    this.outbox = readOutboxSettings(env);
  }
}
