import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { Delivery } from '@boxoffice/messaging/message-consumer';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { PaymentsService } from './payments.service';

/**
 * `payment.order_created`, in batches: the deliveries ready together (payloads validated by the transport, see
 * payment.messaging.ts) are charged together, each acked, retried or parked on its own outcome.
 */
@Controller()
export class OrderCreatedHandler {
  constructor(private readonly payments: PaymentsService) {}

  @OnMessage(ROUTING_KEYS.orderCreated, { batch: true })
  handle(@Payload() deliveries: Delivery<OrderCreatedMessage>[]): Promise<ItemOutcome<void>[]> {
    return this.payments.chargeOrders(deliveries.map(({ payload }) => payload));
  }
}
