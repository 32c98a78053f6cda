import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { OrderSaga } from './order-saga';

/** `order.payment_cancelled`: the payload arrives validated by the transport (see order.messaging.ts). */
@Controller()
export class PaymentCancelledHandler {
  constructor(private readonly saga: OrderSaga) {}

  @OnMessage(ROUTING_KEYS.paymentCancelled)
  handle(@Payload() settled: PaymentCancelledMessage): Promise<void> {
    return this.saga.onPaymentCancelled(settled);
  }
}
