import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { PaymentsService } from './payments.service';

/** `payment.order_created`: the payload arrives validated by the transport (see payment.messaging.ts). */
@Controller()
export class OrderCreatedHandler {
  constructor(private readonly payments: PaymentsService) {}

  @OnMessage(ROUTING_KEYS.orderCreated)
  handle(@Payload() order: OrderCreatedMessage): Promise<void> {
    return this.payments.chargeOrder(order);
  }
}
