import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { OrderStatus, OrderView } from '@boxoffice/contracts/order/order.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { DomainError, isRefusal, OutcomeUnknownError } from '@boxoffice/errors/domain-error';
import { WithLogFields } from '@boxoffice/logging/log-context';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { InventoryClient } from '../inventory-client/inventory.client';
import { OrderMetrics } from '../order-metrics';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import type { Deadline } from '../request/deadline';
import { orderNotTaken, SOLE_CLAIM, type OrderIdClaim } from '../request/order-id-claim';
import { inOrderTransaction, recordedOrder } from './order-transaction';

/** A lost COMMIT answer is looked into until the request's deadline, and at least this long, before it is unknown. */
const LOST_ANSWER_MIN_MS = 1000;

/*
 * The order saga (docs/contract.md §2 and §5), orchestrated by the order service. Each step, its compensation, and
 * the replies it handles, in the order they happen:
 *
 *  1. hold stock        inventory POST /reservations             compensation: release the hold
 *                       (SOLD_OUT from memory while inventory said so within ORDER_SOLD_OUT_MEMORY_MS)
 *  2. record the order  CREATED + order_created, one transaction  on failure: step 1's compensation, answer 503;
 *                                                                 COMMIT's answer lost: 202 if it took effect, 504
 *                                                                 if that cannot be known (the hold is kept)
 *  3. charge            payment consumes order_created            reply: payment_result (succeeded | failed)
 *  4. on the reply      succeeded → commit the hold → CONFIRMED
 *                       succeeded, hold expired → release → CANCELLED (HOLD_EXPIRED)
 *                       failed → release the hold → CANCELLED (PAYMENT_DECLINED)
 *     no reply          within ORDER_PAYMENT_TIMEOUT_SECONDS → release → CANCELLED (PAYMENT_TIMEOUT)
 *  5. refund            every CANCELLED sends order_cancelled: payment refunds its charge, if any; a success
 *                       arriving after the timeout leaves the order CANCELLED and is refunded too
 *
 * CREATED → CONFIRMED | CANCELLED, nothing else: every transition is one guarded UPDATE … WHERE status = 'CREATED',
 * so a duplicate or late reply changes nothing. Inventory's commit and release are idempotent; an unreachable
 * inventory throws, and the message is retried later, so a compensation is never lost.
 */
@Injectable()
export class OrderSaga {
  private readonly logger = new Logger('order-saga');

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly relay: OutboxRelay,
    private readonly metrics: OrderMetrics,
    private readonly soldOut: SoldOutSales,
  ) {}

  /**
   * Steps 1 and 2 (POST /orders): the order is CREATED and its order_created will reach payment. A step not done by
   * `deadline` is given up (503), except a transaction that may have committed: that one decides the answer.
   */
  @WithLogFields((orderId: string) => ({ orderId }))
  async begin(
    orderId: string,
    request: OrderRequest,
    deadline: Deadline,
    claim: OrderIdClaim = SOLE_CLAIM,
  ): Promise<OrderView> {
    try {
      const hold = await this.holdStock(orderId, request, deadline);
      if (deadline.passed) throw orderNotTaken('out of time');
      const decided = await this.record(orderId, request, hold, claim, deadline);
      if (decided instanceof DomainError) {
        // A racing request with this id was refused: so is this one.
        await deadline.orLate(this.releaseHold(orderId, request.eventId), () => undefined);
        throw decided;
      }
      this.logger.debug('order CREATED, its tickets held');
      return decided;
    } catch (error) {
      // A refusal took no hold; an unknown outcome keeps it for the order that may have been recorded.
      const keepHold = isRefusal(error) || error instanceof OutcomeUnknownError;
      // Waited for until the deadline at most: what is left goes on after the answer.
      if (!keepHold) await deadline.orLate(this.giveBack(orderId, request.eventId, claim), () => undefined);
      throw error;
    }
  }

  /**
   * Step 1 answered without a call: SOLD_OUT while inventory said so within ORDER_SOLD_OUT_MEMORY_MS, except for the
   * one request whose turn it is to ask inventory again, if it `mayAsk` (it is not to be turned away first).
   */
  knownRefusal({ eventId, quantity }: OrderRequest, mayAsk = true): DomainError | undefined {
    return this.soldOut.covers(eventId, quantity, mayAsk) ? soldOut(eventId) : undefined;
  }

  /** Step 4: payment's reply. */
  @Traced('payment_result')
  @WithLogFields((result: PaymentResultMessage) => ({ orderId: result.orderId }))
  async onPaymentResult(result: PaymentResultMessage): Promise<void> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId: result.orderId } });
    if (!order)
      throw new DomainError('ORDER_NOT_FOUND', `payment_result for unknown order ${result.orderId}`);
    const step = stepForPayment(order, result);
    switch (step.kind) {
      case 'ignore':
        this.logger.debug?.(`payment_result for ${order.orderId} ignored: ${step.why}`);
        return;
      case 'refund-late-charge':
        return this.refundLateCharge(order, step.paymentId);
      case 'release-hold':
        await this.release(order.orderId, order.eventId);
        return this.end(order, afterRelease(step));
      case 'commit-hold':
        return this.end(order, afterCommit(step.paymentId, await this.commitHold(order)));
    }
  }

  /** Step 4 without a reply: no payment_result within the timeout (see OrderTimeouts). */
  @WithLogFields((order: Order) => ({ orderId: order.orderId }))
  async onPaymentTimeout(order: Order): Promise<void> {
    try {
      await this.release(order.orderId, order.eventId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'RESERVATION_COMMITTED') throw error;
      // The hold was committed, which only follows a successful payment whose result could not be recorded
      // yet: the ticket is sold, so the order is CONFIRMED (without its payment id, which only that result had).
      return this.end(order, { status: 'CONFIRMED' });
    }
    await this.end(order, afterTimeout());
  }

  /** Step 1. A hold of this id released already means an earlier attempt gave it up: the client should retry. */
  private async holdStock(orderId: string, request: OrderRequest, deadline: Deadline): Promise<Hold> {
    const { eventId, userId, quantity } = request;
    const dto = { orderId, eventId, userId, quantity };
    try {
      const hold = await this.inventory.reserve(dto, deadline.signal());
      this.soldOut.onSale(eventId);
      return hold;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'RESERVATION_RELEASED') throw orderNotTaken();
      if (error instanceof DomainError && error.code === 'SOLD_OUT') this.soldOut.refused(eventId, quantity);
      throw error;
    }
  }

  /**
   * Step 2: the order row and its order_created, atomically; a racing request with the same id may have won. A COMMIT
   * whose answer was lost may have taken effect: what Postgres kept then decides the answer.
   */
  private async record(
    orderId: string,
    request: OrderRequest,
    hold: Hold,
    claim: OrderIdClaim,
    deadline: Deadline,
  ): Promise<OrderView | DomainError> {
    let decided: OrderView | DomainError | undefined;
    let committing = false;
    try {
      decided = await inOrderTransaction(this.db, orderId, deadline, async (tx) => {
        const first = await claim.decided(tx);
        if (first) return first;
        const order = await this.insertOrder(tx, {
          ...request,
          orderId,
          amount: hold.unitPrice * hold.quantity,
          currency: hold.currency,
        });
        await claim.recorded(tx, order);
        committing = true;
        return order;
      });
    } catch (error) {
      if (error instanceof DomainError) throw error;
      const why = (error as Error).message;
      if (committing) decided = await recordedOrder(this.db, orderId, deadline.atLeast(LOST_ANSWER_MIN_MS));
      if (!decided) {
        this.logger.warn(`order ${orderId} not recorded: ${why}`);
        throw orderNotTaken();
      }
      this.logger.warn(`order ${orderId} recorded, though the answer to its COMMIT was lost: ${why}`);
    }
    this.relay.wake();
    return decided;
  }

  private async insertOrder(
    tx: EntityManager,
    order: OrderRequest & Pick<Order, 'orderId' | 'amount' | 'currency'>,
  ): Promise<OrderView> {
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
    return toOrderView(saved);
  }

  /** Step 1's compensation, unless the order id is still someone else's to finish (see OrderIdClaim). */
  private async giveBack(orderId: string, eventId: string, claim: OrderIdClaim): Promise<void> {
    if (await claim.giveUp()) await this.releaseHold(orderId, eventId);
  }

  /** Step 1's compensation, best effort: what is not released now returns to stock when the hold expires. */
  private async releaseHold(orderId: string, eventId: string): Promise<void> {
    await this.release(orderId, eventId).catch((error: Error) => {
      this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
    });
  }

  /** Every release: the ticket is on sale again, so this instance stops answering SOLD_OUT from memory. */
  private async release(orderId: string, eventId: string): Promise<void> {
    await this.inventory.release(orderId, eventId);
    this.soldOut.onSale(eventId);
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
      await this.release(orderId, eventId); // an expired hold not yet swept goes back to stock now
      return false;
    }
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

  /** `order_cancelled`, in the transaction that cancelled: payment refunds whatever it charged for the order. */
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
}

/** What a buyer asks for, its payment token defaulted. */
export interface OrderRequest {
  eventId: string;
  userId: string;
  quantity: number;
  paymentToken: string;
}

type Hold = Awaited<ReturnType<InventoryClient['reserve']>>;

// The decisions of step 4, free of I/O.

/** What the saga does next for an order, given a payment result. */
export type SagaStep =
  | { kind: 'ignore'; why: string }
  | { kind: 'refund-late-charge'; paymentId: string }
  | { kind: 'commit-hold'; paymentId: string }
  | { kind: 'release-hold'; paymentId: string; reason: CancelReason };

export type CancelReason = 'PAYMENT_DECLINED' | 'HOLD_EXPIRED' | 'PAYMENT_TIMEOUT';

/** The end state of a step, once inventory answered. */
export interface SagaOutcome {
  status: Exclude<OrderStatus, 'CREATED'>;
  /** Unknown when the order timed out before payment answered. */
  paymentId?: string;
  reason?: CancelReason;
}

export function stepForPayment(
  order: { status: OrderStatus; paymentId: string | null },
  result: Pick<PaymentResultMessage, 'status' | 'paymentId'>,
): SagaStep {
  if (order.status === 'CANCELLED' && !order.paymentId && result.status === 'succeeded') {
    return { kind: 'refund-late-charge', paymentId: result.paymentId };
  }
  if (order.status !== 'CREATED') return { kind: 'ignore', why: `order already ${order.status}` };
  if (result.status === 'succeeded') return { kind: 'commit-hold', paymentId: result.paymentId };
  return { kind: 'release-hold', paymentId: result.paymentId, reason: 'PAYMENT_DECLINED' };
}

/** After inventory answered the commit: sold, or the hold was gone (expired); payment refunds a cancelled order's charge. */
export function afterCommit(paymentId: string, holdStillThere: boolean): SagaOutcome {
  return holdStillThere
    ? { status: 'CONFIRMED', paymentId }
    : { status: 'CANCELLED', paymentId, reason: 'HOLD_EXPIRED' };
}

export function afterRelease(step: Extract<SagaStep, { kind: 'release-hold' }>): SagaOutcome {
  return { status: 'CANCELLED', paymentId: step.paymentId, reason: step.reason };
}

/** No payment_result came in time: the hold is released and the order ends; a late charge is refunded then. */
export function afterTimeout(): SagaOutcome {
  return { status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' };
}

/** Inventory's own words for it, so that a buyer cannot tell memory from a call. */
function soldOut(eventId: string): DomainError {
  return new DomainError('SOLD_OUT', `Not enough tickets left for ${eventId}`);
}
