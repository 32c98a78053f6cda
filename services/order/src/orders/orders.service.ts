import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateOrderDto, OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { errorCode } from '@boxoffice/errors/error-code';
import { IdempotentOrders } from '../idempotency/idempotent-orders';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { Deadline } from '../request/deadline';
import { OrderSaga, type OrderRequest } from '../saga/order-saga';
import { SagaBacklog } from '../saga/saga-backlog';
import { InFlightLimit } from '../saga/in-flight-limit';
import { Order } from '../saga/order.entity';
import { toOrderView } from '../saga/order.view';

const DEFAULT_TOKEN = 'tok_visa';

/**
 * Takes orders (the saga's first steps, once per Idempotency-Key) and reads them back. Each order has
 * ORDER_REQUEST_DEADLINE_MS to be taken, and beyond ORDER_MAX_IN_FLIGHT at once one more is refused at once.
 */
@Injectable()
export class OrdersService {
  private readonly inFlight: InFlightLimit;

  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly idempotent: IdempotentOrders,
    private readonly config: OrderConfig,
    private readonly metrics: OrderMetrics,
    private readonly backlog: SagaBacklog,
  ) {
    this.inFlight = new InFlightLimit(config.maxInFlight);
  }

  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<OrderView> {
    let leave: (() => void) | undefined;
    try {
      leave = this.inFlight.enter();
      const order = await this.take(request, idempotencyKey, new Deadline(this.config.requestDeadlineMs));
      this.metrics.accepted.inc();
      return order;
    } catch (error) {
      // A refusal is a DomainError (SOLD_OUT on a sold-out storm) and carries its code; nothing HTTP is needed.
      this.metrics.refusedWith(errorCode(error));
      throw error;
    } finally {
      leave?.();
    }
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `No order ${orderId}`);
    return toOrderView(order);
  }

  private take(
    request: CreateOrderDto,
    idempotencyKey: string | undefined,
    deadline: Deadline,
  ): Promise<OrderView> {
    // Fields in a fixed order: the same body with its fields in another order hashes the same.
    const order: OrderRequest = {
      eventId: request.eventId,
      userId: request.userId,
      quantity: request.quantity,
      paymentToken: request.paymentToken ?? DEFAULT_TOKEN,
    };
    // What would take stock waits while the saga is behind; nothing is kept, not even the key.
    const behind = this.backlog.behind();
    // A sold-out storm is answered here: no order id, no log context, for a key one batched INSERT. While the saga
    // is behind no request asks inventory again, so a sale known sold out is still 409.
    const known = this.saga.knownRefusal(order, !behind);
    if (!known && behind) throw sagaBehind();
    if (!idempotencyKey) {
      if (known) throw known;
      return this.saga.begin(randomUUID(), order, deadline);
    }
    return this.idempotent.once(
      idempotencyKey,
      order,
      deadline,
      (orderId, claim) => this.saga.begin(orderId, order, deadline, claim),
      known,
    );
  }
}

function sagaBehind(): DomainError {
  return new DomainError('OVERLOADED', 'Orders are being confirmed; nothing was kept. Retry later.');
}
