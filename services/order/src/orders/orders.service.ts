import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateOrderBody, OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { errorCode } from '@boxoffice/errors/error-code';
import { ERROR_STATUS } from '@boxoffice/contracts/errors/error-codes';
import type { Buyer } from '../buyers/buyer-authentication';
import { placedBy, type PlacedOrder } from '../buyers/placed-by';
import { OrderMetrics } from '../order-metrics';
import { Order } from '../saga/order.entity';
import { toOrderView } from '../saga/order.view';
import { OrderSaga } from '../saga/order-saga';
import type { OrderRequest } from '../saga/order-saga-types';
import { keyMayAnswer, WaitingRoomService, type TakenAdmission } from '../waiting-room/waiting-room.service';

const DEFAULT_TOKEN = 'tok_visa';

/** Takes orders (the saga from its step 0, see OrderSaga.admit), counting every answer, and reads them back. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly metrics: OrderMetrics,
    private readonly room: WaitingRoomService,
  ) {}

  /**
   * `buyer`: the token's (BuyerAuthentication), or null for the body's userId. `admissionToken`: the Admission-Token
   * header, needed while the sale's waiting room is on.
   */
  async place(
    body: CreateOrderBody,
    buyer: Buyer,
    idempotencyKey?: string,
    admissionToken?: string,
  ): Promise<OrderView> {
    try {
      // Before the key is looked at: a request refused for its buyer keeps nothing, not even a claim on the key.
      const placed = placedBy(body, buyer);
      let order: OrderView;
      // Then the room: a request without admission learns nothing of the sale, and claims nothing.
      let admission: TakenAdmission | null;
      try {
        admission = await this.room.admit(placed, admissionToken, idempotencyKey);
      } catch (refusal) {
        // A retry whose admission expired or was lost with Redis since its order was kept: that order.
        if (!idempotencyKey || !keyMayAnswer(refusal)) throw refusal;
        order = await this.saga.replayOr(orderRequest(placed), idempotencyKey, refusal);
        this.metrics.accepted.inc();
        return order;
      }
      try {
        order = await this.saga.admit(orderRequest(placed), idempotencyKey);
      } catch (error) {
        // Spent by an order only: a refusal or a 503 kept nothing, so the token buys again (without an Idempotency-Key:
        // with one the token stays the key's, WaitingRoomService.admit). A 504 (the order may exist) or a bug (no
        // outcome promised) keeps it spent.
        if (admission && keptNothing(error)) await admission.giveBack();
        throw error;
      }
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

function keptNothing(error: unknown): boolean {
  const code = errorCode(error);
  return ERROR_STATUS[code] < 500 || code === 'UNAVAILABLE' || code === 'OVERLOADED';
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
