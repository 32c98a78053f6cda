import { parseOrderCancelled } from '@boxoffice/contracts/order/order-cancelled.message';
import { parseOrderCreated } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { AmqpMessageTransportOptions } from '@boxoffice/messaging/amqp-message.transport';
import { serviceTransportOptions } from '@boxoffice/messaging/service-transport';
import { PaymentConfig } from './payment.config';

/** What the payment service consumes: `payment.order_created` and `payment.order_cancelled`. */
export function paymentTransportOptions(config: PaymentConfig): AmqpMessageTransportOptions {
  return serviceTransportOptions(
    'payment',
    {
      [ROUTING_KEYS.orderCreated]: parseOrderCreated,
      [ROUTING_KEYS.orderCancelled]: parseOrderCancelled,
    },
    config,
  );
}
