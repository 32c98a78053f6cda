import { parseOrderCancelled } from '@boxoffice/contracts/order/order-cancelled.message';
import { parseOrderCreated } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { AmqpMessageTransportOptions } from '@boxoffice/messaging/amqp-message.transport';
import { subscription } from '@boxoffice/messaging/subscription';
import { isDependencyDown } from '@boxoffice/errors/dependency-down';
import { PaymentConfig } from './payment.config';

/** What the payment service consumes: `payment.order_created` and `payment.order_cancelled`. */
export function paymentTransportOptions(config: PaymentConfig): AmqpMessageTransportOptions {
  return {
    url: config.messaging.url,
    serviceName: 'payment',
    subscriptions: [
      subscription('payment', ROUTING_KEYS.orderCreated, parseOrderCreated),
      subscription('payment', ROUTING_KEYS.orderCancelled, parseOrderCancelled),
    ],
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
