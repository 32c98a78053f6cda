import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import { putAllInOutbox, putInOutbox } from '@boxoffice/outbox/outbox';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import { DomainError } from '@boxoffice/errors/domain-error';
import { RefundRefusedError } from '@boxoffice/errors/refund-refused';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { PaymentGateway } from '../gateway/payment-gateway';
import { PaymentConfig } from '../payment.config';
import { PaymentMetrics } from '../payment-metrics';
import { Cancellation } from './cancellation.entity';
import {
  KNOWN_OF_ORDER,
  knownOfOrders,
  orderPaymentOf,
  paymentOf,
  type OrderPayment,
  type RawOrderPayment,
  type RawPayment,
} from './order-payment';
import { Payment } from './payment.entity';

export const CHARGE_KEY = 'charge:';

/**
 * pg_advisory_xact_lock space of payment's lock per order. The spaces, one per owner, in the one database the services
 * share: 727_001 migrations (libs/database), 727_002 inventory's sales, 727_003 order's orders, 727_004 payment's
 * orders, 727_005 inventory's orders. Keep them distinct: two owners locking one id in one space block each other.
 */
const ORDER_LOCK_SPACE = 727_004;

/** How a charge was decided: by the processor, or without it (`reference` null) for an order already cancelled. */
export interface ChargeDecision {
  succeeded: boolean;
  reference: string | null;
  reason?: string;
}

/** The decision for an order cancelled before it was charged: it never will be. */
export const NOT_CHARGED: ChargeDecision = { succeeded: false, reference: null, reason: 'order_cancelled' };

/**
 * What recordCharge may replace: a status, or `NOT_CHARGED` (a FAILED payment with no charge reference, decided
 * without the processor) replaced only by a charge that succeeded.
 */
export type Replaceable = Payment['status'] | 'NOT_CHARGED';

/**
 * How claim() left an order_created: the charge claimed (call the processor), answered without charging, or a claim
 * already PENDING for a cancelled order (settled at once: decided if its charging copy died, else left to that copy).
 */
type Claim = 'claimed' | 'answered' | 'cancelled';

/**
 * What a cancellation owes, read under the order's lock: nothing more (null: answered, or no cancellation), a refund
 * of this charge, a charge in flight to wait for, or a claim no call can still be in flight for (to be decided).
 */
type Owed = Payment | null | 'charging' | 'claim_left';

/** An order and how its charge was decided, for recordCharges. */
export interface DecidedCharge {
  order: Pick<OrderCreatedMessage, 'orderId' | 'amount' | 'currency'>;
  decision: ChargeDecision;
}

/** A charge recorded by recordCharge, and whether payment knows its order is cancelled. */
export interface RecordedCharge {
  payment: Payment;
  cancelled: boolean;
}

/**
 * Charges each order at most once, whatever is redelivered, never an order already cancelled, and answers every
 * cancellation: nothing was charged, or the charge is refunded. A charge and a cancellation of one order are decided
 * one at a time, under the order's lock; the processor is called outside it, on a claimed (PENDING) payment.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger('payments');

  constructor(
    private readonly db: DataSource,
    private readonly gateway: PaymentGateway,
    private readonly metrics: PaymentMetrics,
    private readonly config: PaymentConfig,
  ) {}

  /**
   * Charges a batch of orders (copies of one order share its outcome): their claims in one transaction under their
   * locks, the processor's calls concurrent, their results in one transaction. Each order's outcome is its own: a
   * call that failed fails its order alone; a batch whose transaction failed is charged again order by order.
   */
  @Traced('charge')
  async chargeOrders(orders: OrderCreatedMessage[]): Promise<ItemOutcome<void>[]> {
    const distinct = [...new Map(orders.map((order) => [order.orderId, order])).values()];
    const failures = await this.chargeDistinct(distinct).catch((error: unknown) =>
      distinct.length === 1 ? new Map([[distinct[0].orderId, error]]) : this.chargeEachAlone(distinct),
    );
    return orders.map(({ orderId }) =>
      failures.has(orderId)
        ? { status: 'rejected', reason: failures.get(orderId) }
        : { status: 'fulfilled', value: undefined },
    );
  }

  /**
   * A batch whose transaction failed, charged again order by order: one order that fails every time (a bug, bad data)
   * must not take its neighbours to the dead-letter queue with it, and a dependency that is down fails each fast.
   */
  private async chargeEachAlone(orders: OrderCreatedMessage[]): Promise<Map<string, unknown>> {
    const alone = await Promise.all(
      orders.map((order) =>
        this.chargeDistinct([order]).catch((error: unknown) => new Map([[order.orderId, error]])),
      ),
    );
    return new Map(alone.flatMap((failures) => [...failures]));
  }

  /** One order's charge: a batch of one. */
  async chargeOrder(order: OrderCreatedMessage): Promise<void> {
    const [outcome] = await this.chargeOrders([order]);
    if (outcome.status === 'rejected') throw outcome.reason;
  }

  /** Charges orders of distinct ids; answers the failures of those that failed alone (a throw fails them all). */
  private async chargeDistinct(orders: OrderCreatedMessage[]): Promise<Map<string, unknown>> {
    const claims = await this.claim(orders);
    const { cancelled, failures } = await this.charge(
      orders.filter(({ orderId }) => claims.get(orderId) === 'claimed'),
    );
    // Cancelled while the processor charged, or a cancelled order's claim found again: settled at once (a claim no
    // call can still be in flight for is decided here). If that fails, the cancellation is asked again.
    const unsettled = [
      ...orders.filter(({ orderId }) => claims.get(orderId) === 'cancelled').map(({ orderId }) => orderId),
      ...cancelled,
    ];
    await Promise.all(
      unsettled.map((orderId) =>
        this.settle(orderId).catch((error: Error) =>
          this.logger.warn(
            `order ${orderId} was cancelled during its charge, not settled yet: ${error.message}`,
          ),
        ),
      ),
    );
    return failures;
  }

  /**
   * Calls the processor for claimed charges, concurrently, and records their answers in one transaction; answers
   * the orders known to be cancelled, and the failures of the calls that failed.
   */
  private async charge(
    orders: OrderCreatedMessage[],
  ): Promise<{ cancelled: string[]; failures: Map<string, unknown> }> {
    // The processor dedupes by key: a crash after these calls and a redelivery never charge twice.
    const answers = await Promise.allSettled(
      orders.map((order) =>
        this.gateway.charge({
          idempotencyKey: `${CHARGE_KEY}${order.orderId}`,
          amount: order.amount,
          currency: order.currency,
          paymentToken: order.paymentToken,
        }),
      ),
    );
    const failures = new Map<string, unknown>();
    const charged: DecidedCharge[] = [];
    answers.forEach((answer, index) => {
      if (answer.status === 'fulfilled') charged.push({ order: orders[index], decision: answer.value });
      else failures.set(orders[index].orderId, answer.reason);
    });
    if (charged.length === 0) return { cancelled: [], failures };
    const orderIds = charged.map(({ order }) => order.orderId);
    const cancelled = await this.lockedTransaction(orderIds, async (tx) => {
      // A claim decided as never charged while this call was slower than the gateway's timeout is replaced by the
      // charge that succeeded after all, and refunded at once.
      const recorded = await this.recordCharges(tx, charged, ['PENDING', 'NOT_CHARGED']);
      const done = new Set(recorded.map(({ payment }) => payment.orderId));
      const others = orderIds.filter((orderId) => !done.has(orderId));
      const known: { order_id: string }[] = others.length
        ? await tx.query('SELECT order_id FROM cancellations WHERE order_id = ANY($1)', [others])
        : [];
      return [
        ...recorded.filter((record) => record.cancelled).map(({ payment }) => payment.orderId),
        ...known.map(({ order_id }) => order_id),
      ];
    });
    return { cancelled, failures };
  }

  @Traced('cancel')
  async cancelOrder(cancelled: OrderCancelledMessage): Promise<void> {
    // A charge in flight ends within GATEWAY_TIMEOUT_MS: its own copy settles the order then, or the saga driver's
    // next order_cancelled (it sends one until payment answers) decides the claim. No broker retry of our own.
    if (!(await this.settle(cancelled.orderId, cancelled.reason))) {
      this.logger.log(
        `order ${cancelled.orderId} cancelled during its charge: acknowledged, not answered yet`,
      );
    }
  }

  /**
   * Answers the cancellation of an order with payment_cancelled, recording it first when `reason` is given (an
   * order_cancelled): not charged (no payment, or a failed one), or refunded (a successful charge is refunded first).
   * A claim sent to the processor longer ago than GATEWAY_TIMEOUT_MS has no call in flight: it is decided first,
   * from the processor's record. False, unanswered, while a charge is in flight. Once decided, the answer is the
   * same, under the same message id, however often it is asked.
   */
  async settle(orderId: string, reason?: string): Promise<boolean> {
    let owed = await this.owed(orderId, reason);
    if (owed === 'claim_left')
      owed = (await this.decideClaim(orderId)) ? await this.owed(orderId) : 'charging';
    if (owed === 'charging' || owed === 'claim_left') return false;
    if (owed) await this.refund(owed);
    return true;
  }

  /** What the cancellation of an order owes (see Owed), answering it at once when nothing more is owed. */
  private owed(orderId: string, reason?: string): Promise<Owed> {
    return this.underLock(orderId, async (tx, { payment, cancellation }): Promise<Owed> => {
      const known = cancellation ?? (reason ? await this.recordCancellation(tx, orderId, reason) : null);
      if (!known) return null;
      if (payment?.status === 'PENDING')
        return (await this.claimLeft(tx, orderId)) ? 'claim_left' : 'charging';
      if (payment?.status === 'SUCCEEDED') return payment;
      await answer(tx, known, payment?.status === 'REFUNDED' ? 'refunded' : 'not_charged');
      return null;
    });
  }

  /**
   * Decides a cancelled order's claim that no call can still be in flight for, from the processor's record: its
   * charge, or never charged. Looked up before the lock; under it, decided only if the claim is still PENDING and
   * was not sent again since (a copy that re-sends it stamps charging_at). A call slower than the timeout that
   * charges after all replaces "never charged" and is refunded at once (chargeOrder). True unless the claim is in
   * flight again.
   */
  private async decideClaim(orderId: string): Promise<boolean> {
    const [charge] = await this.gateway.chargesOf([`${CHARGE_KEY}${orderId}`]);
    return this.underLock(orderId, async (tx, { payment }) => {
      if (payment?.status !== 'PENDING') return true;
      if (!(await this.claimLeft(tx, orderId))) return false;
      this.logger.warn(
        `order ${orderId}: claim left PENDING by a charging copy, decided from the processor (${charge ? 'charged' : 'never charged'})`,
      );
      await this.recordCharge(tx, payment, charge ?? NOT_CHARGED, ['PENDING']);
      return true;
    });
  }

  /** Whether the order's PENDING claim was last sent to the processor longer ago than the gateway's timeout. */
  private async claimLeft(tx: EntityManager, orderId: string): Promise<boolean> {
    const [left] = await tx.query(
      `SELECT 1 FROM payments WHERE order_id = $1 AND status = 'PENDING'
         AND charging_at < now() - make_interval(secs => $2)`,
      [orderId, this.config.gatewayTimeoutMs / 1000],
    );
    return left !== undefined;
  }

  async get(orderId: string): Promise<PaymentView> {
    const payment = await this.db.getRepository(Payment).findOne({ where: { orderId } });
    if (!payment || payment.status === 'PENDING') {
      throw new DomainError('PAYMENT_NOT_FOUND', `No payment for order ${orderId}`);
    }
    return {
      paymentId: payment.paymentId,
      orderId: payment.orderId,
      status: payment.status,
      amount: payment.amount,
      currency: payment.currency,
      ...(payment.reason ? { reason: payment.reason } : {}),
    };
  }

  /**
   * Records how the charge of an order was decided, with its payment_result, if the order has no payment yet or
   * its payment is one of `replacing` (a claim, or a record the processor contradicts). Null if not.
   */
  async recordCharge(
    tx: EntityManager,
    order: DecidedCharge['order'],
    decision: ChargeDecision,
    replacing: Replaceable[],
  ): Promise<RecordedCharge | null> {
    const [recorded] = await this.recordCharges(tx, [{ order, decision }], replacing);
    return recorded ?? null;
  }

  /** recordCharge for orders of distinct ids, in one statement and one for their results: those it recorded. */
  async recordCharges(
    tx: EntityManager,
    charges: DecidedCharge[],
    replacing: Replaceable[],
  ): Promise<RecordedCharge[]> {
    if (charges.length === 0) return [];
    const column = <T>(of: (charge: DecidedCharge) => T): T[] => charges.map(of);
    const recorded: (RawPayment & { cancelled: boolean })[] = await tx.query(
      `INSERT INTO payments (payment_id, order_id, status, amount, currency, reason, charge_reference,
                             result_message_id, decided_at)
       SELECT d.*, now() FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[],
                                     $6::varchar[], $7::varchar[], $8::varchar[])
         AS d(payment_id, order_id, status, amount, currency, reason, charge_reference, result_message_id)
       ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason,
         charge_reference = EXCLUDED.charge_reference, result_message_id = EXCLUDED.result_message_id,
         decided_at = now(), version = payments.version + 1, updated_at = now()
       WHERE payments.status = ANY($9) OR ($10 AND EXCLUDED.status = 'SUCCEEDED' AND payments.status = 'FAILED'
         AND payments.charge_reference IS NULL)
       RETURNING payments.*,
         EXISTS (SELECT 1 FROM cancellations c WHERE c.order_id = payments.order_id) AS cancelled`,
      [
        column(() => randomUUID()),
        column(({ order }) => order.orderId),
        column(({ decision }) => (decision.succeeded ? 'SUCCEEDED' : 'FAILED')),
        column(({ order }) => order.amount),
        column(({ order }) => order.currency),
        column(({ decision }) => decision.reason ?? null),
        column(({ decision }) => decision.reference),
        column(() => randomUUID()), // a corrected result is a new message: the one sent before said otherwise
        replacing.filter((status) => status !== 'NOT_CHARGED'),
        replacing.includes('NOT_CHARGED'),
      ],
    );
    const charged = recorded.map((row) => ({ payment: paymentOf(row)!, cancelled: row.cancelled }));
    await putAllInOutbox(
      tx,
      charged.map(({ payment }) => resultMessageOf(payment)),
    );
    return charged;
  }

  /** Runs `work` in a transaction holding the order's lock, with what payment knows of the order. */
  async underLock<T>(
    orderId: string,
    work: (tx: EntityManager, known: OrderPayment) => Promise<T>,
  ): Promise<T> {
    return this.lockedTransaction([orderId], async (tx) => {
      const [known]: RawOrderPayment[] = await tx.query(KNOWN_OF_ORDER, [orderId]);
      return work(tx, orderPaymentOf(known));
    });
  }

  /**
   * Runs `work` in a transaction holding the orders' locks (what it puts in the outbox wakes the relay as it commits).
   * The locks are taken in one statement, in the order of their keys: two batches sharing orders never deadlock.
   */
  private async lockedTransaction<T>(
    orderIds: string[],
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `SELECT pg_advisory_xact_lock($1, key)
         FROM (SELECT DISTINCT hashtext(id) AS key FROM unnest($2::varchar[]) id ORDER BY key) keys`,
        [ORDER_LOCK_SPACE, orderIds],
      );
      return work(tx);
    });
  }

  /**
   * Claims the charges of orders of distinct ids ('claimed'), stamping when each is sent to the processor, or
   * answers without charging ('answered'): a decided payment's result again, a cancelled order never charged. Under
   * the orders' locks, the read and the claims in one statement; the claim's WHERE is the `claimable` case below, the
   * rest is decided from the read, and the answers put in the outbox together.
   */
  private async claim(orders: OrderCreatedMessage[]): Promise<Map<string, Claim>> {
    const claims = new Map<string, Claim>();
    if (orders.length === 0) return claims;
    return this.lockedTransaction(
      orders.map(({ orderId }) => orderId),
      async (tx) => {
        const rows: (RawOrderPayment & { claimed: boolean })[] = await tx.query(
          `WITH o AS (
             SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::varchar[], $5::varchar[])
               AS o(order_id, claim_payment_id, claim_amount, claim_currency, claim_result_message_id)
           ),
           known AS (${knownOfOrders('o')}),
           claimed AS (
             INSERT INTO payments (payment_id, order_id, status, amount, currency, result_message_id, charging_at)
             SELECT o.claim_payment_id, o.order_id, 'PENDING', o.claim_amount, o.claim_currency,
                    o.claim_result_message_id, clock_timestamp()
             FROM known JOIN o USING (order_id)
             WHERE known.cancelled_order_id IS NULL AND (known.status IS NULL OR known.status = 'PENDING')
             ON CONFLICT (order_id) DO UPDATE SET charging_at = clock_timestamp()
             RETURNING order_id
           )
           SELECT known.*, known.order_id IN (SELECT order_id FROM claimed) AS claimed FROM known`,
          [
            orders.map(({ orderId }) => orderId),
            orders.map(() => randomUUID()),
            orders.map(({ amount }) => amount),
            orders.map(({ currency }) => currency),
            orders.map(() => randomUUID()),
          ],
        );
        const answers: OutgoingMessage[] = [];
        const notCharged: DecidedCharge[] = [];
        for (const known of rows) {
          claims.set(known.order_id, this.claimOf(known, answers, notCharged, orders));
        }
        await this.recordCharges(tx, notCharged, []);
        await putAllInOutbox(tx, answers); // order_created came again: the decided results again
        return claims;
      },
    );
  }

  /**
   * How the claim left one order: claimable if not cancelled, and no payment or a PENDING claim left by a copy that
   * died (charged again: the processor dedupes by key). Otherwise what to answer goes to `answers` (a decided
   * result) or `notCharged` (a cancelled order is never charged).
   */
  private claimOf(
    known: RawOrderPayment & { claimed: boolean },
    answers: OutgoingMessage[],
    notCharged: DecidedCharge[],
    orders: OrderCreatedMessage[],
  ): Claim {
    if (known.claimed) return 'claimed';
    const { payment, cancellation } = orderPaymentOf(known);
    if (payment && payment.status !== 'PENDING') {
      answers.push(resultMessageOf(payment));
      return 'answered';
    }
    // A claim already PENDING for a cancelled order is a charge in flight, or one its copy left: the caller settles
    // the cancellation, deciding a claim left.
    if (payment) return 'cancelled';
    const order = orders.find(({ orderId }) => orderId === known.order_id);
    if (cancellation && order) notCharged.push({ order, decision: NOT_CHARGED });
    return 'answered';
  }

  private async recordCancellation(
    tx: EntityManager,
    orderId: string,
    reason: string,
  ): Promise<Cancellation> {
    const cancellation = Object.assign(new Cancellation(), {
      orderId,
      reason,
      messageId: randomUUID(),
      outcome: null,
      cancelledAt: new Date(),
      settledAt: null,
    });
    await tx.getRepository(Cancellation).insert(cancellation);
    return cancellation;
  }

  /** Refunds a cancelled order's charge, then answers `refunded`; a refusal is counted and asked again. */
  private async refund(payment: Payment): Promise<void> {
    const refund = await this.gateway.refund({
      idempotencyKey: `refund:${payment.orderId}`,
      chargeReference: payment.chargeReference ?? '',
      amount: payment.amount,
      currency: payment.currency,
    });
    // A refusal is not an outage: the message is parked after its attempts and alerted (docs/contract.md §5), and
    // the order's saga driver sends order_cancelled again until payment answers.
    if (!refund.succeeded) {
      this.metrics.refundRefused(refund.reason ?? 'unknown');
      this.logger.warn(`refund of order ${payment.orderId} refused by the processor: ${refund.reason}`);
      throw new RefundRefusedError(payment.orderId, refund.reason ?? 'unknown');
    }
    await this.underLock(payment.orderId, async (tx, { cancellation }) => {
      await tx.query(
        `UPDATE payments SET status = 'REFUNDED', version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'SUCCEEDED'`,
        [payment.orderId],
      );
      if (cancellation) await answer(tx, cancellation, 'refunded');
    });
    this.logger.log(`refunded order ${payment.orderId}`);
  }
}

/** Decides the cancellation's answer if it is not yet (the first answer stays), and sends it. */
async function answer(
  tx: EntityManager,
  cancellation: Cancellation,
  outcome: PaymentCancelledMessage['outcome'],
): Promise<void> {
  if (!cancellation.outcome) {
    cancellation.outcome = outcome;
    cancellation.settledAt = new Date();
    await tx
      .getRepository(Cancellation)
      .update(
        { orderId: cancellation.orderId },
        { outcome: cancellation.outcome, settledAt: cancellation.settledAt },
      );
  }
  const message: PaymentCancelledMessage = {
    version: 1,
    orderId: cancellation.orderId,
    outcome: cancellation.outcome,
    processedAt: (cancellation.settledAt ?? cancellation.cancelledAt).toISOString(),
  };
  await putInOutbox(tx, {
    routingKey: ROUTING_KEYS.paymentCancelled,
    messageId: cancellation.messageId,
    correlationId: cancellation.orderId,
    payload: message,
  });
}

/** The `payment_result` of a decided payment, the same every time it is sent. */
function resultMessageOf(payment: Payment): OutgoingMessage {
  const result: PaymentResultMessage = {
    version: 1,
    orderId: payment.orderId,
    paymentId: payment.paymentId,
    status: payment.status === 'FAILED' ? 'failed' : 'succeeded',
    ...(payment.reason ? { reason: payment.reason } : {}),
    processedAt: (payment.decidedAt ?? payment.createdAt).toISOString(),
  };
  return {
    routingKey: ROUTING_KEYS.paymentResult,
    messageId: payment.resultMessageId,
    correlationId: payment.orderId,
    payload: result,
  };
}
