import { readInt, readUrl } from '@boxoffice/platform/config/env';

/** The broker settings every service that publishes or consumes reads from its environment. */
export interface MessagingSettings {
  url: string;
  prefetch: number;
  maxAttempts: number;
  retryDelayMs: number;
  publishTimeoutMs: number;
}

export function readMessagingSettings(env: NodeJS.ProcessEnv): MessagingSettings {
  return {
    url: readUrl(env, 'RABBITMQ_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
    prefetch: readInt(env, 'RABBITMQ_PREFETCH', 50, 1, 10_000),
    maxAttempts: readInt(env, 'MESSAGE_MAX_ATTEMPTS', 8, 1, 1000),
    retryDelayMs: readInt(env, 'MESSAGE_RETRY_DELAY_MS', 1000, 10, 3_600_000),
    publishTimeoutMs: readInt(env, 'PUBLISH_TIMEOUT_MS', 5000, 100, 120_000),
  };
}
