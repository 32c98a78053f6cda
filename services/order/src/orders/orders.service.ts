import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ERROR_STATUS, ErrorBody } from '@boxoffice/contracts/errors/error-codes';
import type { CreateOrderDto, OrderView } from '@boxoffice/contracts/order/order.dto';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { DomainError } from '@boxoffice/platform/http/domain-error';
import { toErrorBody } from '@boxoffice/platform/http/problem.filter';
import {
  claimIdempotencyKey,
  forgetIdempotencyKey,
  readIdempotencyKey,
  requestHash,
  storeIdempotentResponse,
} from '@boxoffice/platform/idempotency/idempotency-keys';
import { InventoryClient } from '../inventory-client/inventory.client';
import { Order } from './order.entity';
import { toOrderView } from './order.view';

const DEFAULT_TOKEN = 'tok_visa';
type StoredResponse = { status: number; body: unknown };

/** Takes an order: hold stock, record the order and its `order_created` in one transaction, answer 202. */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('orders');

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly relay: OutboxRelay,
  ) {}

  /** With an Idempotency-Key, every request with that key gets the first one's response, even when they race. */
  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<OrderView> {
    // Fields in a fixed order: the same body with its fields in another order hashes the same (JSON objects are unordered).
    const order = {
      eventId: request.eventId,
      userId: request.userId,
      quantity: request.quantity,
      paymentToken: request.paymentToken ?? DEFAULT_TOKEN,
    };
    if (!idempotencyKey) return this.placeAs(randomUUID(), order);
    const hash = requestHash(order);
    const claim = await claimIdempotencyKey(this.db.manager, idempotencyKey, hash, randomUUID());
    if (claim.requestHash !== hash) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used with a different request',
      );
    }
    if (claim.response) return replay(claim.response);
    try {
      return await this.placeAs(claim.resourceId, order, idempotencyKey);
    } catch (error) {
      if (!(error instanceof DomainError) || ERROR_STATUS[error.code] >= 500) {
        // Retryable, so not stored; the hold is released, so the retry must not reuse this key's order id.
        await forgetIdempotencyKey(this.db.manager, idempotencyKey).catch(() => undefined);
        throw error;
      }
      const body = toErrorBody(error);
      return replay(
        await storeIdempotentResponse(this.db.manager, idempotencyKey, {
          status: ERROR_STATUS[body.code],
          body,
        }),
      );
    }
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `No order ${orderId}`);
    return toOrderView(order);
  }

  private async placeAs(
    orderId: string,
    request: Required<CreateOrderDto>,
    idempotencyKey?: string,
  ): Promise<OrderView> {
    const hold = await this.inventory
      .reserve({ orderId, eventId: request.eventId, userId: request.userId, quantity: request.quantity })
      .catch(async (error: unknown) => {
        const lost =
          error instanceof DomainError && ['UNAVAILABLE', 'RESERVATION_RELEASED'].includes(error.code);
        if (!lost) throw error;
        // The hold may have been taken with the answer lost (a timeout): give it back rather than wait for expiry.
        await this.releaseAfterFailure(orderId);
        throw new DomainError(
          'UNAVAILABLE',
          'Stock could not be held right now; nothing was kept. Retry later.',
        );
      });
    let outcome: StoredResponse;
    try {
      outcome = await this.db.transaction((tx) =>
        this.record(
          tx,
          { ...request, orderId, amount: hold.unitPrice * hold.quantity, currency: hold.currency },
          idempotencyKey,
        ),
      );
    } catch (error) {
      await this.releaseAfterFailure(orderId);
      if (error instanceof DomainError) throw error;
      this.logger.warn(`order ${orderId} not recorded, hold released: ${(error as Error).message}`);
      throw new DomainError('UNAVAILABLE', 'The order could not be recorded; nothing was kept. Retry later.');
    }
    this.relay.wake();
    if (outcome.status !== 202) await this.releaseAfterFailure(orderId);
    return replay(outcome);
  }

  /** The order row and its `order_created` message, atomically; with a key, its 202 response too. */
  private async record(
    tx: EntityManager,
    order: Required<CreateOrderDto> & Pick<Order, 'orderId' | 'amount' | 'currency'>,
    idempotencyKey?: string,
  ): Promise<StoredResponse> {
    if (idempotencyKey) {
      // A racing request with this key may have finished first: its response stands.
      const first = await readIdempotencyKey(tx, idempotencyKey, true);
      if (first?.response) return first.response;
    }
    const repository = tx.getRepository(Order);
    const saved = repository.create({ ...order, status: 'CREATED', reason: null, paymentId: null });
    Object.assign(saved, (await repository.insert(saved)).generatedMaps[0]);
    const message: OrderCreatedMessage = {
      version: 1,
      orderId: saved.orderId,
      eventId: saved.eventId,
      userId: saved.userId,
      quantity: saved.quantity,
      amount: saved.amount,
      currency: saved.currency,
      paymentToken: saved.paymentToken,
      createdAt: saved.createdAt.toISOString(),
    };
    await addToOutbox(tx, {
      routingKey: ROUTING_KEYS.orderCreated,
      correlationId: saved.orderId,
      payload: message,
    });
    const response = { status: 202, body: toOrderView(saved) };
    if (idempotencyKey) await storeIdempotentResponse(tx, idempotencyKey, response);
    return response;
  }

  private async releaseAfterFailure(orderId: string): Promise<void> {
    await this.inventory.release(orderId).catch((error: Error) => {
      // The hold then returns to stock when it expires (inventory's hold expiry).
      this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
    });
  }
}

function replay(response: StoredResponse): OrderView {
  if (response.status === 202) return response.body as OrderView;
  const body = response.body as ErrorBody;
  throw new DomainError(body.code, body.message, body.details);
}
