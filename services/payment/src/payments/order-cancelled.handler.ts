import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { PaymentsService } from './payments.service';

/** `payment.order_cancelled`: refunds the charge of an order that ended CANCELLED, answers payment_cancelled. */
@Controller()
export class OrderCancelledHandler {
  constructor(private readonly payments: PaymentsService) {}

  @OnMessage(ROUTING_KEYS.orderCancelled)
  handle(@Payload() cancelled: OrderCancelledMessage): Promise<void> {
    return this.payments.cancelOrder(cancelled);
  }
}
