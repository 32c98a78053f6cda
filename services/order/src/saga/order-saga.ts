import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { DomainError, isRefusal, OutcomeUnknownError } from '@boxoffice/errors/domain-error';
import { WithLogFields } from '@boxoffice/logging/log-context';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { IdempotentOrders } from '../idempotency/idempotent-orders';
import { InventoryClient } from '../inventory-client/inventory.client';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { Deadline } from '../request/deadline';
import { orderNotTaken, SOLE_CLAIM, type OrderIdClaim } from '../request/order-id-claim';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import { InFlightLimit } from './in-flight-limit';
import { Order } from './order.entity';
import { recordOrder } from './order-recording';
import { afterCommit, afterRelease, afterTimeout, decideOnPayment } from './order-saga-decisions';
import type { Hold, OrderRequest, OrderToRecord, SagaOutcome } from './order-saga-types';
import { SagaBacklog } from './saga-backlog';

/**
 * The order saga (docs/contract.md §2 and §5), orchestrated by the order service: one method per step of
 * ORDER_SAGA (order-saga.definition.ts, the saga at one glance), in the order they happen.
 *
 * CREATED → CONFIRMED | CANCELLED, nothing else: every transition is one guarded UPDATE … WHERE status = 'CREATED',
 * so a duplicate or late reply changes nothing. Inventory's commit and release are idempotent; an unreachable
 * inventory throws, and the message is retried later, so a compensation is never lost.
 */
@Injectable()
export class OrderSaga {
  private readonly logger = new Logger('order-saga');
  private readonly inFlight: InFlightLimit;

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly relay: OutboxRelay,
    private readonly metrics: OrderMetrics,
    private readonly soldOut: SoldOutSales,
    private readonly idempotent: IdempotentOrders,
    private readonly backlog: SagaBacklog,
    private readonly config: OrderConfig,
  ) {
    this.inFlight = new InFlightLimit(config.maxInFlight);
  }

  /**
   * Step 0 (POST /orders): whether the order is taken at all, and under which order id. Beyond ORDER_MAX_IN_FLIGHT
   * at once one more is refused at once; steps 1 and 2 then have ORDER_REQUEST_DEADLINE_MS, once per
   * Idempotency-Key.
   */
  async admit(request: OrderRequest, idempotencyKey?: string): Promise<OrderView> {
    const leave = this.inFlight.enter();
    try {
      const deadline = new Deadline(this.config.requestDeadlineMs);
      // What would take stock of a sale waits while the saga is behind on it; nothing is kept, not even the key.
      const behind = this.backlog.behind(request.eventId);
      // A sold-out storm is answered here: no order id, no log context, for a key one batched INSERT. While the saga
      // is behind no request asks inventory again, so a sale known sold out is still 409.
      const refusal = this.soldOutFromMemory(request, !behind);
      if (!refusal && behind) {
        // A key already answered is answered again: its buyer is told what was kept, not "nothing was kept".
        if (idempotencyKey)
          return await this.idempotent.replayOr(idempotencyKey, request, deadline, sagaBehind());
        throw sagaBehind();
      }
      if (!idempotencyKey) {
        if (refusal) throw refusal;
        return await this.begin(randomUUID(), request, deadline);
      }
      return await this.idempotent.placeOnce({
        key: idempotencyKey,
        request,
        deadline,
        refusal,
        place: (orderId, claim) => this.begin(orderId, request, deadline, claim),
      });
    } finally {
      leave();
    }
  }

  /**
   * Steps 1 and 2: the order is CREATED and its order_created will reach payment. A step not done by `deadline` is
   * given up (503), except a transaction that may have committed: that one decides the answer.
   */
  @WithLogFields((orderId: string) => ({ orderId }))
  private async begin(
    orderId: string,
    request: OrderRequest,
    deadline: Deadline,
    claim: OrderIdClaim = SOLE_CLAIM,
  ): Promise<OrderView> {
    try {
      const hold = await this.holdStock(orderId, request, deadline);
      if (deadline.passed) throw orderNotTaken('out of time');
      const decided = await this.record({ orderId, request, hold, claim, deadline });
      if (decided instanceof DomainError) {
        // A racing request with this id was refused: so is this one.
        await deadline.orLate(this.releaseHoldOrLetExpire(orderId, request.eventId), () => undefined);
        throw decided;
      }
      this.logger.debug('order CREATED, its tickets held');
      return decided;
    } catch (error) {
      // A refusal took no hold; an unknown outcome keeps it for the order that may have been recorded.
      const keepHold = isRefusal(error) || error instanceof OutcomeUnknownError;
      // Waited for until the deadline at most: what is left goes on after the answer.
      if (!keepHold)
        await deadline.orLate(this.releaseHoldIfOurs(orderId, request.eventId, claim), () => undefined);
      throw error;
    }
  }

  /** Step 1. A hold of this id released already means an earlier attempt gave it up: the client should retry. */
  private async holdStock(orderId: string, request: OrderRequest, deadline: Deadline): Promise<Hold> {
    const { eventId, userId, quantity } = request;
    const dto = { orderId, eventId, userId, quantity };
    const askedAt = this.soldOut.now(); // a SOLD_OUT is as old as the question: a release meanwhile outdates it
    try {
      const hold = await this.inventory.reserve(dto, deadline.signal());
      this.soldOut.onSale(eventId);
      return hold;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'RESERVATION_RELEASED') throw orderNotTaken();
      if (error instanceof DomainError && error.code === 'SOLD_OUT')
        this.soldOut.refused(eventId, quantity, askedAt);
      throw error;
    }
  }

  /** Step 2: the order and its order_created, or what a racing request with this id decided (see order-recording.ts). */
  private async record(order: OrderToRecord): Promise<OrderView | DomainError> {
    const decided = await recordOrder(this.db, order);
    this.relay.wake();
    return decided;
  }

  /** Step 4: payment's reply. */
  @Traced('payment_result')
  @WithLogFields((result: PaymentResultMessage) => ({ orderId: result.orderId }))
  async onPaymentResult(result: PaymentResultMessage): Promise<void> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId: result.orderId } });
    if (!order)
      throw new DomainError('ORDER_NOT_FOUND', `payment_result for unknown order ${result.orderId}`);
    const decision = decideOnPayment(order, result);
    switch (decision.kind) {
      case 'ignore':
        this.logger.debug?.(`payment_result for ${order.orderId} ignored: ${decision.why}`);
        return;
      case 'refund-late-charge':
        return this.refundLateCharge(order, decision.paymentId);
      case 'release-hold':
        await this.releaseHold(order.orderId, order.eventId);
        return this.end(order, afterRelease(decision));
      case 'commit-hold':
        return this.end(order, afterCommit(decision.paymentId, await this.commitHold(order)));
    }
  }

  /** Step 4 without a reply: no payment_result within the timeout (see OrderTimeouts). */
  @WithLogFields((order: Order) => ({ orderId: order.orderId }))
  async onPaymentTimeout(order: Order): Promise<void> {
    try {
      await this.releaseHold(order.orderId, order.eventId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'RESERVATION_COMMITTED') throw error;
      // The hold was committed, which only follows a successful payment whose result could not be recorded
      // yet: the ticket is sold, so the order is CONFIRMED (without its payment id, which only that result had).
      return this.end(order, { status: 'CONFIRMED' });
    }
    await this.end(order, afterTimeout());
  }

  /** Step 4, payment succeeded: true when the hold was committed, false when it had expired (then released). */
  private async commitHold({ orderId, eventId }: Order): Promise<boolean> {
    try {
      await this.inventory.commit(orderId);
      return true;
    } catch (error) {
      const holdGone =
        error instanceof DomainError && ['HOLD_EXPIRED', 'RESERVATION_RELEASED'].includes(error.code);
      if (!holdGone) throw error;
      await this.releaseHold(orderId, eventId); // an expired hold not yet swept goes back to stock now
      return false;
    }
  }

  /**
   * Step 1's compensation: the ticket is on sale again, so this instance stops answering SOLD_OUT from memory. An
   * unreachable inventory throws: the message or the sweep that called it tries again later.
   */
  private async releaseHold(orderId: string, eventId: string): Promise<void> {
    await this.inventory.release(orderId, eventId);
    this.soldOut.onSale(eventId);
  }

  /** Step 1's compensation, best effort: what is not released now returns to stock when the hold expires. */
  private async releaseHoldOrLetExpire(orderId: string, eventId: string): Promise<void> {
    await this.releaseHold(orderId, eventId).catch((error: Error) => {
      this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
    });
  }

  /**
   * Step 1's compensation when step 2 failed: the hold released (best effort) and then the order id given up, unless
   * the id is still someone else's to finish; a hold not released keeps the id for a retry (see OrderIdClaim).
   */
  private async releaseHoldIfOurs(orderId: string, eventId: string, claim: OrderIdClaim): Promise<void> {
    await claim
      .giveUp(() => this.releaseHold(orderId, eventId))
      .catch((error: Error) => {
        // Its key, if any, keeps the order id: a retry takes the order with this hold, or it lapses at its expiry.
        this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
      });
  }

  /** Step 5 for a charge that came after the timeout: the order stays CANCELLED and the charge is refunded. */
  private async refundLateCharge(order: Order, paymentId: string): Promise<void> {
    const recorded = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE orders SET payment_id = $2, version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'CANCELLED' AND payment_id IS NULL RETURNING order_id`,
        [order.orderId, paymentId],
      )) as [unknown[], number];
      if (rows.length) await this.askForRefund(tx, order.orderId, order.reason ?? 'PAYMENT_TIMEOUT');
      return rows.length > 0;
    });
    if (recorded) this.relay.wake();
  }

  /**
   * Step 3's compensation (step 5): `order_cancelled`, in the transaction that cancelled, and payment refunds
   * whatever it charged for the order.
   */
  private async askForRefund(tx: EntityManager, orderId: string, reason: string): Promise<void> {
    const message: OrderCancelledMessage = {
      version: 1,
      orderId,
      reason,
      cancelledAt: new Date().toISOString(),
    };
    await addToOutbox(tx, {
      routingKey: ROUTING_KEYS.orderCancelled,
      correlationId: orderId,
      payload: message,
    });
  }

  /** Moves a CREATED order to its end state; a cancelled order tells payment, which refunds any charge (step 5). */
  private async end(order: Order, outcome: SagaOutcome): Promise<void> {
    const move = async (db: EntityManager) => {
      const [rows] = (await db.query(
        `UPDATE orders SET status = $2, reason = $3, payment_id = $4, version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'CREATED'
         RETURNING extract(epoch FROM now() - created_at)::float8 AS seconds`,
        [order.orderId, outcome.status, outcome.reason ?? null, outcome.paymentId ?? null],
      )) as [Array<{ seconds: number }>, number];
      if (rows.length && outcome.status === 'CANCELLED')
        await this.askForRefund(db, order.orderId, outcome.reason!);
      return rows[0];
    };
    // CONFIRMED is one guarded UPDATE, atomic alone: no BEGIN and COMMIT round trips for the saga's busiest step.
    const moved =
      outcome.status === 'CONFIRMED' ? await move(this.db.manager) : await this.db.transaction(move);
    if (!moved) return;
    this.metrics.ended(outcome, moved.seconds);
    // One line per order at its end, at info: what an operator greps for (by orderId) to learn how it went.
    this.logger.log(`order ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
    if (outcome.status === 'CANCELLED') this.relay.wake();
  }

  /**
   * Step 0's SOLD_OUT from memory: while inventory said so within ORDER_SOLD_OUT_MEMORY_MS, except for the one
   * request that takes the turn to ask inventory again, if it `mayAsk` (it is not to be turned away first).
   */
  private soldOutFromMemory({ eventId, quantity }: OrderRequest, mayAsk: boolean): DomainError | undefined {
    if (!this.soldOut.remembers(eventId, quantity)) return undefined;
    if (mayAsk && this.soldOut.takeTurnToAsk(eventId, quantity)) return undefined;
    return soldOut(eventId);
  }
}

/** Inventory's own words for it, so that a buyer cannot tell memory from a call. */
function soldOut(eventId: string): DomainError {
  return new DomainError('SOLD_OUT', `Not enough tickets left for ${eventId}`);
}

function sagaBehind(): DomainError {
  return new DomainError('OVERLOADED', 'Orders are being confirmed; nothing was kept. Retry later.');
}
