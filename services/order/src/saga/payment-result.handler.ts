import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { Delivery } from '@boxoffice/messaging/message-consumer';
import { OnMessage } from '@boxoffice/messaging/on-message.decorator';
import { OrderSaga } from './order-saga';

/**
 * `order.payment_result`, in batches: the deliveries ready together (payloads validated by the transport, see
 * order.messaging.ts) are taken together, each acked, retried or parked on its own outcome.
 */
@Controller()
export class PaymentResultHandler {
  constructor(private readonly saga: OrderSaga) {}

  @OnMessage(ROUTING_KEYS.paymentResult, { batch: true })
  handle(@Payload() deliveries: Delivery<PaymentResultMessage>[]): Promise<ItemOutcome<void>[]> {
    return this.saga.onPaymentResults(deliveries);
  }
}
