import { parsePaymentCancelled } from '@boxoffice/contracts/payment/payment-cancelled.message';
import { parsePaymentResult } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { AmqpMessageTransportOptions } from '@boxoffice/messaging/amqp-message.transport';
import { serviceTransportOptions } from '@boxoffice/messaging/service-transport';
import { OrderConfig } from './order.config';

/** What the order service consumes: `order.payment_result` and `order.payment_cancelled`. */
export function orderTransportOptions(config: OrderConfig): AmqpMessageTransportOptions {
  return serviceTransportOptions(
    'order',
    {
      [ROUTING_KEYS.paymentResult]: parsePaymentResult,
      [ROUTING_KEYS.paymentCancelled]: parsePaymentCancelled,
    },
    config,
  );
}
