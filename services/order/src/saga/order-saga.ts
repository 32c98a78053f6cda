import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NaturalBatch, type ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { DomainError, isRefusal, OutcomeUnknownError } from '@boxoffice/errors/domain-error';
import { WithLogFields, withLogFields } from '@boxoffice/logging/log-context';
import { putInOutbox } from '@boxoffice/outbox/outbox';
import { classifyFailure } from '@boxoffice/messaging/failure-class';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { IdempotentOrders } from '../idempotency/idempotent-orders';
import { InventoryClient, type BatchAnswer } from '../inventory-client/inventory.client';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { Deadline } from '../request/deadline';
import { orderNotTaken, SOLE_CLAIM, type OrderIdClaim } from '../request/order-id-claim';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import { InFlightLimit } from './in-flight-limit';
import { Order } from './order.entity';
import { orderCancelled, orderCreated } from './order-messages';
import { recordOrders, type Recorded } from './order-recording';
import { decideOnPayment } from './order-saga-decisions';
import type {
  CancelReason,
  Hold,
  OrderInSaga,
  OrderRequest,
  OrderToRecord,
  PaymentReply,
  SagaOutcome,
  SagaStep,
} from './order-saga-types';
import { SagaBacklog } from './saga-backlog';

/**
 * The order saga (docs/contract.md §2 and §5), orchestrated by the order service: one method per step of
 * ORDER_SAGA (order-saga.definition.ts, the saga at one glance), in the order they happen.
 *
 * The order's row is the saga's state: status CREATED → CONFIRMED | CANCELLED, and the step it waits in, PAYMENT →
 * COMMIT → DONE or → COMPENSATION → DONE. Every transition is one guarded UPDATE … WHERE step = <the step expected>,
 * so a duplicate or late reply changes nothing, and each is recorded before anything is asked of a participant:
 * what is not answered then is done again by the saga's driver (saga-driver.ts) from the row, never from a message.
 */
@Injectable()
export class OrderSaga {
  private readonly logger = new Logger('order-saga');
  private readonly inFlight: InFlightLimit;
  /** Step 2 for every order held meanwhile: one transaction each batch (see recordOrders). */
  private readonly recordings: NaturalBatch<OrderToRecord, Recorded>;
  /** Step 4 done again by the saga's driver, order by order: the commits asked meanwhile go in one call. */
  private readonly commits: NaturalBatch<OrderInSaga, void>;
  private readonly committed: (size: number) => void;

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly metrics: OrderMetrics,
    private readonly soldOut: SoldOutSales,
    private readonly idempotent: IdempotentOrders,
    private readonly backlog: SagaBacklog,
    private readonly config: OrderConfig,
  ) {
    this.inFlight = new InFlightLimit(config.maxInFlight);
    // Two transactions in flight: one commits while the next runs its statements.
    this.recordings = new NaturalBatch(
      (orders) => recordOrders(this.db, orders, this.firstPaymentAttemptMs()),
      { maxSize: config.batchMaxItems, concurrency: 2, onBatch: metrics.batched('record') },
    );
    this.commits = new NaturalBatch((orders) => this.commitHolds(orders), { maxSize: config.batchMaxItems });
    this.committed = metrics.batched('commit');
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
      // A sold-out storm is answered here: no order id, no log context, nothing written (a key is only read, in a
      // batch). While the saga is behind no request asks inventory again, so a sale known sold out is still 409.
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

  /** The order kept under `idempotencyKey` for this request, answered again; else `unanswered` is thrown. Reads only. */
  replayOr(request: OrderRequest, idempotencyKey: string, unanswered: DomainError): Promise<OrderView> {
    const deadline = new Deadline(this.config.requestDeadlineMs);
    return this.idempotent.replayOr(idempotencyKey, request, deadline, unanswered);
  }

  /**
   * Step 0's refusal from memory when it is certainly the answer (a sold-out storm), decided as `admit` would decide
   * it but changing nothing: no turn to ask inventory taken, nothing written, a key only read (the read's failure, or
   * its lateness, is the answer then, as in `admit`). Undefined when the request is to go through `admit` (not refused
   * from memory, its key claimed before, too many in flight).
   */
  async refusalFromMemory(
    { eventId, quantity }: Pick<OrderRequest, 'eventId' | 'quantity'>,
    idempotencyKey?: string,
  ): Promise<Error | undefined> {
    // Past ORDER_MAX_IN_FLIGHT, admit answers OVERLOADED before anything else: so does it, there.
    if (this.inFlight.full) return undefined;
    if (!this.soldOut.wouldRefuse(eventId, quantity, !this.backlog.behind(eventId))) return undefined;
    if (!idempotencyKey) return soldOut(eventId);
    const leave = this.inFlight.enter();
    try {
      const deadline = new Deadline(this.config.requestDeadlineMs);
      const unclaimed = await deadline.orLate(this.idempotent.unclaimed(idempotencyKey), outOfTime);
      return unclaimed ? soldOut(eventId) : undefined;
    } catch (error) {
      return error as Error; // the key may hold a 202: never a 409 then (a 503, as in admit)
    } finally {
      leave();
    }
  }

  /**
   * Steps 1 and 2: the order is CREATED and its order_created will reach payment. A step not done by `deadline` is
   * given up (503), except a transaction that may have committed: that one decides the answer.
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
  async holdStock(orderId: string, request: OrderRequest, deadline: Deadline): Promise<Hold> {
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

  /**
   * Step 2: the order and its order_created, or what a racing request with this id decided, recorded with every
   * order held meanwhile (see order-recording.ts).
   */
  async record(order: OrderToRecord): Promise<OrderView | DomainError> {
    return this.recordings.submit(order);
  }

  /**
   * Step 3's replies, as a batch of payment_result deliveries (each its own outcome, in order). Recorded first: the
   * charges that succeeded for orders waiting in PAYMENT move to COMMIT in one guarded UPDATE, and those moved are
   * committed together (step 4); anything else (a repeat, a late answer, a decline, an unknown order) is decided from
   * its row, alone. What follows a recorded move is tried at once, and otherwise done by the saga's driver from the
   * row: once the move committed, the message is never needed again.
   */
  @Traced('payment_result')
  async onPaymentResults(replies: PaymentReply[]): Promise<ItemOutcome<void>[]> {
    const paid = replies.filter(({ payload }) => payload.status === 'succeeded');
    let moved: Map<string, OrderInSaga>;
    try {
      moved = new Map((await this.toCommit(paid)).map((order) => [order.orderId, order]));
    } catch (error) {
      moved = new Map();
      // Nothing moved: each one decided alone below, and fails alone.
      this.logger.warn(`payment_result batch not moved at once: ${(error as Error).message}`);
    }
    const committed = this.commitNow([...moved.values()]);
    return Promise.all(
      replies.map((reply) =>
        settled(moved.has(reply.payload.orderId) ? committed : this.onPaymentResultAlone(reply)),
      ),
    );
  }

  /** Step 3's reply not moved with its batch: decided from the order's row (decideOnPayment). */
  private onPaymentResultAlone({ payload: result, context }: PaymentReply): Promise<void> {
    return withLogFields({ orderId: result.orderId, messageId: context?.messageId }, async () => {
      const order = await this.orderOf(result.orderId, ROUTING_KEYS.paymentResult);
      const decision = decideOnPayment(order, result);
      switch (decision.kind) {
        case 'ignore':
          this.logger.debug?.(`payment_result for ${order.orderId} ignored: ${decision.why}`);
          return;
        case 'record-late-charge':
          return this.recordLateCharge(order, decision.paymentId);
        case 'cancel':
          return this.cancel(order, 'PAYMENT', decision.reason, decision.paymentId);
        case 'commit-hold':
          await this.commitNow(await this.toCommit([{ payload: result, context }]));
      }
    });
  }

  /** Step 3 unanswered past ORDER_PAYMENT_TIMEOUT_SECONDS (the saga's driver calls it): CANCELLED (PAYMENT_TIMEOUT). */
  async onPaymentTimeout(order: Order): Promise<void> {
    await this.cancel(order, 'PAYMENT', 'PAYMENT_TIMEOUT');
  }

  /**
   * Step 3 again: order_created as first sent; payment answers a repeat with its first answer. Only once the previous
   * copy was sent at least ORDER_RESEND_AFTER_MS ago (or parked by the relay): one still unsent is the relay's (a
   * re-send would only reset its backoff), and one sent just now is still in payment's queue (it would only duplicate).
   */
  async askForPayment(order: Order): Promise<void> {
    const message = orderCreated(order);
    const [previous] = (await this.db.query(
      `SELECT COALESCE(parked_at IS NOT NULL OR sent_at <= now() - make_interval(secs => $2), false) AS due,
         sent_at + make_interval(secs => $2) AS resend_at
       FROM outbox WHERE message_id = $1`,
      [message.messageId, this.config.resendAfterMs / 1000],
    )) as Array<{ due: boolean; resend_at: Date | null }>;
    if (!previous || previous.due) {
      await putInOutbox(this.db.manager, message);
    } else if (previous.resend_at) {
      // Sent just now: due again ORDER_RESEND_AFTER_MS after that send (or at the timeout), not a doubling later.
      await this.db.query(
        `UPDATE orders SET next_attempt_at = least($2::timestamptz, created_at + make_interval(secs => $3))
         WHERE order_id = $1 AND step = 'PAYMENT' AND status = 'CREATED'`,
        [order.orderId, previous.resend_at, this.config.paymentTimeoutMs / 1000],
      );
    }
  }

  /**
   * Step 4, in COMMIT, for many orders in one call: inventory sells each hold (CONFIRMED, all in one statement), or
   * answers that it is gone (expired, released, not found): then that hold is released first, still in COMMIT (see
   * releaseGoneHold). Inventory unreachable, or any other answer, is that order's failure: it stays in COMMIT, due,
   * and the saga's driver commits it again.
   */
  async commitHolds(orders: OrderInSaga[]): Promise<ItemOutcome<void>[]> {
    if (orders.length === 0) return [];
    const most = this.config.batchMaxItems;
    if (orders.length > most) {
      // A delivery window (RABBITMQ_PREFETCH) can be larger than inventory takes in one call: refused whole, its
      // orders would all wait for the saga's driver.
      const chunks = Array.from({ length: Math.ceil(orders.length / most) }, (_, k) =>
        orders.slice(k * most, (k + 1) * most),
      );
      return (await Promise.all(chunks.map((chunk) => this.commitHolds(chunk)))).flat();
    }
    this.committed(orders.length);
    let answers: BatchAnswer[];
    try {
      answers = await this.inventory.commitMany(orders.map(({ orderId }) => orderId));
    } catch (error) {
      return orders.map(() => ({ status: 'rejected', reason: error }));
    }
    const sold = orders.filter((_, index) => !(answers[index] instanceof DomainError));
    const confirmed = this.confirm(...sold);
    return Promise.all(
      orders.map(async (order, index): Promise<ItemOutcome<void>> => {
        const answer = answers[index];
        if (!(answer instanceof DomainError)) return settled(confirmed);
        if (hasCode(answer, ...HOLD_GONE)) return settled(loggedAs(order, () => this.releaseGoneHold(order)));
        return { status: 'rejected', reason: answer };
      }),
    );
  }

  /** Step 4 tried at once for orders just moved: what is not done is left to the saga's driver, each on its line. */
  private async commitNow(orders: OrderInSaga[]): Promise<void> {
    const outcomes = await this.commitHolds(orders);
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected')
        loggedAs(orders[index], () => leftToDriver('the commit', outcome.reason));
    });
  }

  /**
   * Step 4 again, one order (the saga's driver calls it), committed with the others asked meanwhile: throws when the
   * order is left in COMMIT.
   */
  async commitHold(order: OrderInSaga): Promise<void> {
    await this.commits.submit(order);
  }

  /**
   * Step 4 answered "the hold is gone": the order is cancelled (HOLD_EXPIRED, its hold's half recorded in the same
   * move) only once inventory released the hold or answered that it is gone. A release that finds the hold sold
   * means an earlier commit of this order (one still running when this one was answered) sold it after a successful
   * payment: the order is CONFIRMED (contract §2, "A release that finds the hold sold"), never cancelled with its
   * ticket sold. Anything else throws, and the order stays in COMMIT for the driver.
   */
  async releaseGoneHold(order: OrderInSaga): Promise<void> {
    try {
      await this.releaseHold(order.orderId, order.eventId);
    } catch (error) {
      if (hasCode(error, 'RESERVATION_COMMITTED')) {
        this.logger.warn(`order ${order.orderId}: its hold, answered gone, was sold by an earlier commit`);
        return this.confirm(order);
      }
      if (!hasCode(error, ...HOLD_GONE)) throw error;
    }
    await this.cancel(order, 'COMMIT', 'HOLD_EXPIRED', undefined, true);
  }

  /** Step 4 answered: the tickets are sold, the orders CONFIRMED, their saga DONE, all in one statement. */
  async confirm(...orders: Array<Pick<OrderInSaga, 'orderId' | 'logFields'>>): Promise<void> {
    if (orders.length === 0) return;
    const [rows] = (await this.db.query(
      `UPDATE orders SET status = 'CONFIRMED', step = 'DONE', next_attempt_at = NULL, version = version + 1,
         updated_at = now()
       WHERE order_id = ANY($1::varchar[]) AND step = 'COMMIT' AND status = 'CREATED'
       RETURNING order_id AS "orderId", extract(epoch FROM now() - created_at)::float8 AS seconds`,
      [orders.map(({ orderId }) => orderId)],
    )) as [Array<{ orderId: string; seconds: number }>, number];
    const byId = new Map(orders.map((order) => [order.orderId, order]));
    for (const { orderId, seconds } of rows)
      loggedAs(byId.get(orderId) ?? { orderId }, () => this.ended({ status: 'CONFIRMED' }, seconds));
  }

  /**
   * Step 5: CANCELLED from `from`, at once for the buyer, in the transaction that writes order_cancelled; the order
   * then waits in COMPENSATION, and the hold's release is tried at once, unless `holdReleased` already (step 4's).
   */
  async cancel(
    order: OrderInSaga,
    from: 'PAYMENT' | 'COMMIT',
    reason: CancelReason,
    paymentId?: string,
    holdReleased = false,
  ): Promise<void> {
    const cancelled = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE orders SET status = 'CANCELLED', reason = $3, payment_id = COALESCE($4, payment_id),
           step = 'COMPENSATION', cancelled_at = now(), attempts = 0,
           hold_released_at = CASE WHEN $6::boolean THEN now() END,
           next_attempt_at = now() + make_interval(secs => $5), version = version + 1, updated_at = now()
         WHERE order_id = $1 AND step = $2 AND status = 'CREATED'
         RETURNING cancelled_at, extract(epoch FROM now() - created_at)::float8 AS seconds`,
        [order.orderId, from, reason, paymentId ?? null, this.config.resendAfterMs / 1000, holdReleased],
      )) as [Array<{ cancelled_at: Date; seconds: number }>, number];
      if (rows.length)
        await this.askForRefund(tx, { orderId: order.orderId, reason, cancelledAt: rows[0].cancelled_at });
      return rows[0];
    });
    if (!cancelled) return;
    this.ended({ status: 'CANCELLED', reason }, cancelled.seconds);
    if (holdReleased) this.soldOut.onSale(order.eventId);
    else await tryNow('the release', () => this.releaseCancelledHold(order));
  }

  /**
   * Step 1's compensation: the ticket is on sale again, so this instance stops answering SOLD_OUT from memory. An
   * unreachable inventory throws: the caller, or the saga's driver, tries again later.
   */
  async releaseHold(orderId: string, eventId: string): Promise<void> {
    await this.inventory.release(orderId, eventId);
    this.soldOut.onSale(eventId);
  }

  /** Step 1's compensation, best effort: what is not released now returns to stock when the hold expires. */
  async releaseHoldOrLetExpire(orderId: string, eventId: string): Promise<void> {
    await this.releaseHold(orderId, eventId).catch((error: Error) => {
      this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
    });
  }

  /**
   * Step 1's compensation when step 2 failed: the hold released (best effort) and then the order id given up, unless
   * the id is still someone else's to finish; a hold not released keeps the id for a retry (see OrderIdClaim).
   */
  async releaseHoldIfOurs(orderId: string, eventId: string, claim: OrderIdClaim): Promise<void> {
    await claim
      .giveUp(() => this.releaseHold(orderId, eventId).catch(unlessHoldGone))
      .catch((error: Error) => {
        // Its key, if any, keeps the order id: a retry takes the order with this hold (once a release that may still
        // be applied no longer can), or it is given back by the hold reconciliation.
        this.logger.warn(`could not release the hold of ${orderId} now: ${error.message}`);
      });
  }

  /**
   * Step 5, the hold's half: released, or answered gone (never recorded, or barred now). Only an order cancelled
   * from PAYMENT (declined, timed out) gets here with its hold unreleased, and the saga never sent it a commit: a
   * hold found sold was sold by something else, so it is not released and its half never recorded. The compensation
   * stays PENDING, logged at error and reported by the audit (SOLD_FOR_UNCONFIRMED_ORDER; contract §2).
   */
  async releaseCancelledHold(order: OrderInSaga): Promise<void> {
    try {
      await this.releaseHold(order.orderId, order.eventId);
    } catch (error) {
      if (hasCode(error, 'RESERVATION_COMMITTED')) {
        this.logger.error(
          `order ${order.orderId} is CANCELLED but its tickets are sold: compensation left PENDING`,
        );
        return;
      }
      if (!hasCode(error, ...HOLD_GONE)) throw error;
    }
    await this.completeHalf(order.orderId, HOLD_RELEASED, []);
  }

  /** Step 5's reply: payment_cancelled, payment's half (nothing charged, or the charge refunded). */
  @Traced('payment_cancelled')
  @WithLogFields((settled: PaymentCancelledMessage) => ({ orderId: settled.orderId }))
  async onPaymentCancelled({ orderId, outcome }: PaymentCancelledMessage): Promise<void> {
    if (await this.completeHalf(orderId, PAYMENT_SETTLED, [outcome])) return;
    const order = await this.orderOf(orderId, ROUTING_KEYS.paymentCancelled);
    this.logger.debug?.(
      `payment_cancelled for ${orderId} ignored: order ${order.status}, step ${order.step}`,
    );
  }

  /** Step 5 again (the saga's driver calls it), what is still missing: payment's answer, the hold's release. */
  async compensate(order: Order): Promise<void> {
    if (!order.paymentSettledAt) {
      await this.askForRefund(this.db.manager, order);
    }
    if (!order.holdReleasedAt) await this.releaseCancelledHold(order);
  }

  /**
   * A charge that completed after the order was cancelled (by the timeout): its paymentId is recorded, nothing else.
   * Payment refunds such a charge itself (its charge claim sees the cancellation), and its reconciliation refunds one
   * it learns of later; the order's compensation, complete or not, is not reopened (contract §2).
   */
  async recordLateCharge(order: Order, paymentId: string): Promise<void> {
    await this.db.query(
      `UPDATE orders SET payment_id = $2, version = version + 1, updated_at = now()
       WHERE order_id = $1 AND status = 'CANCELLED' AND payment_id IS NULL`,
      [order.orderId, paymentId],
    );
  }

  /**
   * Step 3's compensation: `order_cancelled`, in the transaction that cancelled and again until payment answers;
   * payment refunds whatever it charged for the order, and answers payment_cancelled.
   */
  async askForRefund(
    tx: EntityManager,
    order: Pick<Order, 'orderId' | 'reason' | 'cancelledAt'>,
  ): Promise<void> {
    await putInOutbox(tx, orderCancelled(order));
  }

  /**
   * PAYMENT → COMMIT, each payment's id recorded, in one statement: the orders moved, or none for a reply whose order
   * had left PAYMENT already (a repeat, a race) or is not this service's. Each moved order's lines name its reply.
   */
  async toCommit(replies: PaymentReply[]): Promise<OrderInSaga[]> {
    if (replies.length === 0) return [];
    const [rows] = (await this.db.query(
      `UPDATE orders SET step = 'COMMIT', payment_id = paid.payment_id, attempts = 0,
         next_attempt_at = now() + make_interval(secs => $3), version = version + 1, updated_at = now()
       FROM unnest($1::varchar[], $2::varchar[]) AS paid(order_id, payment_id)
       WHERE orders.order_id = paid.order_id AND step = 'PAYMENT' AND status = 'CREATED'
       RETURNING orders.order_id AS "orderId", orders.event_id AS "eventId"`,
      [
        replies.map(({ payload }) => payload.orderId),
        replies.map(({ payload }) => payload.paymentId),
        this.config.resendAfterMs / 1000,
      ],
    )) as [OrderInSaga[], number];
    const messageIds = new Map(replies.map(({ payload, context }) => [payload.orderId, context?.messageId]));
    return rows.map((order) => ({ ...order, logFields: { messageId: messageIds.get(order.orderId) } }));
  }

  /** One half of a compensation recorded (see HOLD_RELEASED, PAYMENT_SETTLED); with both, the saga is DONE. */
  async completeHalf(orderId: string, half: string, values: unknown[]): Promise<boolean> {
    const [rows] = (await this.db.query(half, [orderId, ...values])) as [Array<{ step: SagaStep }>, number];
    if (rows[0]?.step === 'DONE') this.logger.log('order CANCELLED, its compensation COMPLETE');
    return rows.length > 0;
  }

  /** The order a reply is about; a reply for an order this service never took is an error (dead-lettered). */
  async orderOf(orderId: string, routingKey: string): Promise<Order> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId } });
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `${routingKey} for unknown order ${orderId}`);
    return order;
  }

  /** Step 3's first re-send, or its timeout if that comes first. */
  private firstPaymentAttemptMs(): number {
    return Math.min(this.config.resendAfterMs, this.config.paymentTimeoutMs);
  }

  /** One line per order at its end, at info: what an operator greps for (by orderId) to learn how it went. */
  private ended(outcome: SagaOutcome, seconds: number): void {
    this.metrics.ended(outcome, seconds);
    this.logger.log(`order ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
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

// One half of a compensation recorded; with the other one in too, the saga is DONE and the driver leaves the order.
const DONE_WITH = (other: string) =>
  `step = CASE WHEN ${other} IS NULL THEN step ELSE 'DONE' END,
   next_attempt_at = CASE WHEN ${other} IS NULL THEN next_attempt_at END, version = version + 1, updated_at = now()`;
const HOLD_RELEASED = `UPDATE orders SET hold_released_at = now(), ${DONE_WITH('payment_settled_at')}
  WHERE order_id = $1 AND step = 'COMPENSATION' AND status = 'CANCELLED' AND hold_released_at IS NULL RETURNING step`;
const PAYMENT_SETTLED = `UPDATE orders SET payment_settled_at = now(), payment_settlement = $2, ${DONE_WITH('hold_released_at')}
  WHERE order_id = $1 AND step = 'COMPENSATION' AND status = 'CANCELLED' AND payment_settled_at IS NULL RETURNING step`;

const logger = new Logger('order-saga');

/**
 * What follows a recorded transition, tried now: a failure leaves the order due, and the saga's driver does it again
 * (classified once, by libs/messaging's classifyFailure: a transient failure is expected there, warn; anything else
 * is a bug, or a participant's unexpected answer, error).
 */
export async function tryNow(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    leftToDriver(what, error);
  }
}

function leftToDriver(what: string, error: unknown): void {
  const line = `${what} not done yet, left to the saga's driver: ${(error as Error).message}`;
  if (classifyFailure(error) === 'transient') logger.warn(line);
  else logger.error(line);
}

/** A promise as its outcome in a batch. */
async function settled(work: Promise<void>): Promise<ItemOutcome<void>> {
  try {
    await work;
    return { status: 'fulfilled', value: undefined };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/** Runs `work` with the order's lines naming it, and the reply that moved it. */
function loggedAs<T>(order: Pick<OrderInSaga, 'orderId' | 'logFields'>, work: () => T): T {
  return withLogFields({ ...order.logFields, orderId: order.orderId }, work);
}

/** Inventory's answers that a hold is no longer there to sell or release: expired, released, never recorded. */
export const HOLD_GONE = ['HOLD_EXPIRED', 'RESERVATION_RELEASED', 'RESERVATION_NOT_FOUND'];

/** A release answered that no such hold exists (and the order id is barred now): nothing is held, as a release wants. */
function unlessHoldGone(error: unknown): void {
  if (!hasCode(error, ...HOLD_GONE)) throw error;
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof DomainError && codes.includes(error.code);
}

/** Inventory's own words for it, so that a buyer cannot tell memory from a call. */
function soldOut(eventId: string): DomainError {
  return new DomainError('SOLD_OUT', `Not enough tickets left for ${eventId}`);
}

function outOfTime(): never {
  throw orderNotTaken('out of time');
}

function sagaBehind(): DomainError {
  return new DomainError('OVERLOADED', 'Orders are being confirmed; nothing was kept. Retry later.');
}
