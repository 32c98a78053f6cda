import { parsePaymentResult } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { AmqpMessageTransportOptions } from '@boxoffice/messaging/amqp-message.transport';
import { subscription } from '@boxoffice/messaging/subscription';
import { isDependencyDown } from '@boxoffice/errors/dependency-down';
import { OrderConfig } from './order.config';

/** What the order service consumes: `order.payment_result`. */
export function orderTransportOptions(config: OrderConfig): AmqpMessageTransportOptions {
  return {
    url: config.messaging.url,
    serviceName: 'order',
    subscriptions: [subscription('order', ROUTING_KEYS.paymentResult, parsePaymentResult)],
    prefetch: config.messaging.prefetch,
    maxAttempts: config.messaging.maxAttempts,
    retryDelayMs: config.messaging.retryDelayMs,
    retryMaxDelayMs: config.messaging.retryMaxDelayMs,
    // A compensation or a charge waiting for a dependency is retried until it succeeds, never dead-lettered.
    isTransient: isDependencyDown,
    // Running handlers get what is left of the shutdown budget after the delay; past it the process exits 1
    // and the broker redelivers what they had not acked.
    shutdownGraceMs: config.http.shutdownTimeoutMs - config.http.shutdownDelayMs,
  };
}
