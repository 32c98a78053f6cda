import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { EventFailureFilter } from '@boxoffice/messaging/event-failure.filter';
import { OrderSaga } from './order-saga.service';

/** `order.payment_result`: the payload arrives validated by the transport (see order.messaging.ts). */
@Controller()
@UseFilters(EventFailureFilter)
export class PaymentResultHandler {
  constructor(private readonly saga: OrderSaga) {}

  @EventPattern(ROUTING_KEYS.paymentResult)
  handle(@Payload() result: PaymentResultMessage): Promise<void> {
    return this.saga.onPaymentResult(result);
  }
}
