import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { OrderSaga } from './order-saga';

/** `order.payment_result`: the payload arrives validated by the transport (see order.messaging.ts). */
@Controller()
export class PaymentResultHandler {
  constructor(private readonly saga: OrderSaga) {}

  @OnMessage(ROUTING_KEYS.paymentResult)
  handle(@Payload() result: PaymentResultMessage): Promise<void> {
    return this.saga.onPaymentResult(result);
  }
}
