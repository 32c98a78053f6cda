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
    // Fields in a fixed order: the same body with its fields in another order hashes the same.
    const order = {
      eventId: request.eventId,
      userId: request.userId,
      quantity: request.quantity,
      paymentToken: request.paymentToken ?? DEFAULT_TOKEN,
    };
    if (!idempotencyKey) {
      const orderId = randomUUID();
      return this.placeAs(orderId, order).catch((error) => this.giveUp(orderId, order.eventId, error));
    }
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
      if (isRetryable(error)) return this.giveUpKeyed(idempotencyKey, claim.resourceId, order.eventId, error);
      const body = toErrorBody(error);
      const status = ERROR_STATUS[body.code];
      return replay(await storeIdempotentResponse(this.db.manager, idempotencyKey, { status, body }));
    }
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `No order ${orderId}`);
    return toOrderView(order);
  }

  /** Holds stock, then records the order; errors leave the hold to the caller (see giveUp). */
  private async placeAs(
    orderId: string,
    request: Required<CreateOrderDto>,
    idempotencyKey?: string,
  ): Promise<OrderView> {
    const hold = await this.inventory
      .reserve({ orderId, eventId: request.eventId, userId: request.userId, quantity: request.quantity })
      .catch((error: unknown) => {
        // A hold of this order id already released: an earlier attempt gave it up; the client should retry.
        if (error instanceof DomainError && error.code === 'RESERVATION_RELEASED') throw unavailable();
        throw error;
      });
    const amount = hold.unitPrice * hold.quantity;
    let outcome: StoredResponse;
    try {
      outcome = await this.db.transaction((tx) =>
        this.record(tx, { ...request, orderId, amount, currency: hold.currency }, idempotencyKey),
      );
    } catch (error) {
      if (error instanceof DomainError) throw error;
      this.logger.warn(`order ${orderId} not recorded: ${(error as Error).message}`);
      throw unavailable();
    }
    this.relay.wake();
    if (outcome.status !== 202) await this.release(orderId, request.eventId); // a racing twin's refusal stands
    return replay(outcome);
  }

  /** No key: nobody else can use this order id, so a retryable failure gives its hold back at once. */
  private async giveUp(orderId: string, eventId: string, error: unknown): Promise<never> {
    if (isRetryable(error)) await this.release(orderId, eventId);
    throw error;
  }

  /**
   * With a key, racing requests share its order id: only the one that frees the key gives the hold back. If a twin
   * stored a response meanwhile, that response is the answer.
   */
  private async giveUpKeyed(
    key: string,
    orderId: string,
    eventId: string,
    error: unknown,
  ): Promise<OrderView> {
    if (await forgetIdempotencyKey(this.db.manager, key, orderId).catch(() => false)) {
      await this.release(orderId, eventId);
      throw error;
    }
    const first = await readIdempotencyKey(this.db.manager, key, false).catch(() => null);
    if (first?.response) return replay(first.response);
    throw error;
  }

  /** The order row and its `order_created` message, atomically; with a key, its 202 response too. */
  private async record(
    tx: EntityManager,
    order: Required<CreateOrderDto> & Pick<Order, 'orderId' | 'amount' | 'currency'>,
    idempotencyKey?: string,
  ): Promise<StoredResponse> {
    if (idempotencyKey) {
      const first = await readIdempotencyKey(tx, idempotencyKey, true);
      // The key was given up by a failed twin (and its hold released): this attempt must not answer 202 either.
      if (!first || first.resourceId !== order.orderId) throw unavailable();
      // A racing request with this key finished first: its response stands.
      if (first.response) return first.response;
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

  /** Best effort: what is not released now returns to stock when the hold expires (inventory's hold expiry). */
  private async release(orderId: string, eventId: string): Promise<void> {
    await this.inventory.release(orderId, eventId).catch((error: Error) => {
      this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
    });
  }
}

function isRetryable(error: unknown): boolean {
  return !(error instanceof DomainError) || ERROR_STATUS[error.code] >= 500;
}

function unavailable(): DomainError {
  return new DomainError(
    'UNAVAILABLE',
    'The order could not be taken right now; nothing was kept. Retry later.',
  );
}

function replay(response: StoredResponse): OrderView {
  if (response.status === 202) return response.body as OrderView;
  const body = response.body as ErrorBody;
  throw new DomainError(body.code, body.message, body.details);
}
