import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { EventFailureFilter } from '@boxoffice/messaging/event-failure.filter';
import { PaymentsService } from './payments.service';

/** `payment.order_cancelled`: refunds the charge of an order that ended CANCELLED. */
@Controller()
@UseFilters(EventFailureFilter)
export class OrderCancelledHandler {
  constructor(private readonly payments: PaymentsService) {}

  @EventPattern(ROUTING_KEYS.orderCancelled)
  handle(@Payload() cancelled: OrderCancelledMessage): Promise<void> {
    return this.payments.refundOrder(cancelled);
  }
}
