import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateOrderBody, OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { errorCode } from '@boxoffice/errors/error-code';
import type { Buyer } from '../buyers/buyer-authentication';
import { placedBy, type PlacedOrder } from '../buyers/placed-by';
import { OrderMetrics } from '../order-metrics';
import { Order } from '../saga/order.entity';
import { toOrderView } from '../saga/order.view';
import { OrderSaga } from '../saga/order-saga';
import type { OrderRequest } from '../saga/order-saga-types';

const DEFAULT_TOKEN = 'tok_visa';

/** Takes orders (the saga from its step 0, see OrderSaga.admit), counting every answer, and reads them back. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly metrics: OrderMetrics,
  ) {}

  /** `buyer`: the token's (BuyerAuthentication), or null for the body's userId. */
  async place(body: CreateOrderBody, buyer: Buyer, idempotencyKey?: string): Promise<OrderView> {
    try {
      // Before the key is looked at: a request refused for its buyer keeps nothing, not even a claim on the key.
      const order = await this.saga.admit(orderRequest(placedBy(body, buyer)), idempotencyKey);
      this.metrics.accepted.inc();
      return order;
    } catch (error) {
      // A refusal is a DomainError (SOLD_OUT on a sold-out storm) and carries its code; nothing HTTP is needed.
      this.metrics.refusedWith(errorCode(error));
      throw error;
    }
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `No order ${orderId}`);
    return toOrderView(order);
  }
}

/** Fields in a fixed order: the same body with its fields in another order hashes the same (Idempotency-Key). */
function orderRequest(request: PlacedOrder): OrderRequest {
  return {
    eventId: request.eventId,
    userId: request.userId,
    quantity: request.quantity,
    paymentToken: request.paymentToken ?? DEFAULT_TOKEN,
  };
}
