import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { EventFailureFilter } from '@boxoffice/messaging/event-failure.filter';
import { PaymentsService } from './payments.service';

/** `payment.order_created`: the payload arrives validated by the transport (see payment.messaging.ts). */
@Controller()
@UseFilters(EventFailureFilter)
export class OrderCreatedHandler {
  constructor(private readonly payments: PaymentsService) {}

  @EventPattern(ROUTING_KEYS.orderCreated)
  handle(@Payload() order: OrderCreatedMessage): Promise<void> {
    return this.payments.chargeOrder(order);
  }
}
