import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateOrderDto, OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { IdempotentOrders } from '../idempotency/idempotent-orders';
import { OrderSaga, type OrderRequest } from '../saga/order-saga';
import { Order } from './order.entity';
import { toOrderView } from './order.view';

const DEFAULT_TOKEN = 'tok_visa';

/** Takes orders (the saga's first steps, once per Idempotency-Key) and reads them back. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly idempotent: IdempotentOrders,
  ) {}

  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<OrderView> {
    // Fields in a fixed order: the same body with its fields in another order hashes the same.
    const order: OrderRequest = {
      eventId: request.eventId,
      userId: request.userId,
      quantity: request.quantity,
      paymentToken: request.paymentToken ?? DEFAULT_TOKEN,
    };
    if (!idempotencyKey) return this.saga.begin(randomUUID(), order);
    return this.idempotent.once(idempotencyKey, order, (orderId, claim) =>
      this.saga.begin(orderId, order, claim),
    );
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `No order ${orderId}`);
    return toOrderView(order);
  }
}
