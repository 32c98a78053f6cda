import type { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { MESSAGING_DEFAULTS } from './messaging-defaults';

/** The broker settings every service that publishes or consumes reads from its environment. */
export interface MessagingSettings {
  url: string;
  prefetch: number;
  maxAttempts: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  publishTimeoutMs: number;
}

export function readMessagingSettings(env: EnvReader): MessagingSettings {
  const retryDelayMs = env.int('MESSAGE_RETRY_DELAY_MS', MESSAGING_DEFAULTS.retryDelayMs, 10, 3_600_000);
  return {
    url: env.url('RABBITMQ_URL', INFRASTRUCTURE_DEFAULTS.rabbitmqUrl, ['amqp:', 'amqps:']),
    prefetch: env.int('RABBITMQ_PREFETCH', MESSAGING_DEFAULTS.prefetch, 1, 10_000),
    maxAttempts: env.int('MESSAGE_MAX_ATTEMPTS', MESSAGING_DEFAULTS.maxAttempts, 1, 1000),
    retryDelayMs,
    // The cap is at least the first delay; left unset, a first delay above the default cap is the cap.
    retryMaxDelayMs: env.int(
      'MESSAGE_RETRY_MAX_DELAY_MS',
      Math.max(MESSAGING_DEFAULTS.retryMaxDelayMs, retryDelayMs),
      retryDelayMs,
      3_600_000,
    ),
    publishTimeoutMs: env.int('PUBLISH_TIMEOUT_MS', MESSAGING_DEFAULTS.publishTimeoutMs, 100, 120_000),
  };
}
