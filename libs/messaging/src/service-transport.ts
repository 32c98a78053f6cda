import type { AmqpMessageTransportOptions } from './amqp-message.transport';
import type { MessagingSettings } from './messaging-settings';
import { subscription, type Validator } from './subscription';

/** What of a service's validated config its consumers read: the broker settings and the shutdown budget. */
export interface ConsumerConfig {
  messaging: MessagingSettings;
  http: { shutdownTimeoutMs: number; shutdownDelayMs: number };
}

/**
 * The consumers of `serviceName`: one queue `<service>.<routing key>` per entry of `consumes`, each with the
 * validator of its message; the rest is the same for every service.
 */
export function serviceTransportOptions(
  serviceName: string,
  consumes: Record<string, Validator<unknown>>,
  config: ConsumerConfig,
): AmqpMessageTransportOptions {
  return {
    url: config.messaging.url,
    serviceName,
    subscriptions: Object.entries(consumes).map(([routingKey, validate]) =>
      subscription(serviceName, routingKey, validate),
    ),
    prefetch: config.messaging.prefetch,
    maxAttempts: config.messaging.maxAttempts,
    retryDelayMs: config.messaging.retryDelayMs,
    retryMaxDelayMs: config.messaging.retryMaxDelayMs,
    // Running handlers get what is left of the shutdown budget after the delay; past it the process exits 1
    // and the broker redelivers what they had not acked.
    shutdownGraceMs: config.http.shutdownTimeoutMs - config.http.shutdownDelayMs,
  };
}
