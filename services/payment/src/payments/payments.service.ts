import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { putInOutbox } from '@boxoffice/outbox/outbox';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { DomainError } from '@boxoffice/errors/domain-error';
import { RefundRefusedError } from '@boxoffice/errors/refund-refused';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { PaymentGateway } from '../gateway/payment-gateway';
import { PaymentConfig } from '../payment.config';
import { PaymentMetrics } from '../payment-metrics';
import { Cancellation } from './cancellation.entity';
import {
  KNOWN_OF_ORDER,
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
    private readonly relay: OutboxRelay,
    private readonly metrics: PaymentMetrics,
    private readonly config: PaymentConfig,
  ) {}

  @Traced('charge')
  async chargeOrder(order: OrderCreatedMessage): Promise<void> {
    const claim = await this.claim(order);
    if (claim === 'answered') return;
    if (claim === 'claimed' && !(await this.charge(order))) return;
    // Cancelled while the processor charged, or a cancelled order's claim found again: settled at once (a claim no
    // call can still be in flight for is decided here). If that fails, the cancellation is asked again.
    await this.settle(order.orderId).catch((error: Error) =>
      this.logger.warn(
        `order ${order.orderId} was cancelled during its charge, not settled yet: ${error.message}`,
      ),
    );
  }

  /** Calls the processor for a claimed charge and records its answer; true if the order is cancelled. */
  private async charge(order: OrderCreatedMessage): Promise<boolean> {
    // The processor dedupes by key: a crash after this call and a redelivery never charge twice.
    const outcome = await this.gateway.charge({
      idempotencyKey: `${CHARGE_KEY}${order.orderId}`,
      amount: order.amount,
      currency: order.currency,
      paymentToken: order.paymentToken,
    });
    return this.lockedTransaction(order.orderId, async (tx) => {
      // A claim decided as never charged while this call was slower than the gateway's timeout is replaced by the
      // charge that succeeded after all, and refunded at once.
      const recorded = await this.recordCharge(tx, order, outcome, ['PENDING', 'NOT_CHARGED']);
      if (recorded) return recorded.cancelled;
      const [known] = await tx.query('SELECT 1 FROM cancellations WHERE order_id = $1', [order.orderId]);
      return known !== undefined;
    });
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
    order: Pick<OrderCreatedMessage, 'orderId' | 'amount' | 'currency'>,
    decision: ChargeDecision,
    replacing: Replaceable[],
  ): Promise<RecordedCharge | null> {
    const [recorded]: (RawPayment & { cancelled: boolean })[] = await tx.query(
      `INSERT INTO payments (payment_id, order_id, status, amount, currency, reason, charge_reference,
                             result_message_id, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason,
         charge_reference = EXCLUDED.charge_reference, result_message_id = EXCLUDED.result_message_id,
         decided_at = now(), version = payments.version + 1, updated_at = now()
       WHERE payments.status = ANY($9) OR ($10 AND EXCLUDED.status = 'SUCCEEDED' AND payments.status = 'FAILED'
         AND payments.charge_reference IS NULL)
       RETURNING *, EXISTS (SELECT 1 FROM cancellations c WHERE c.order_id = $2) AS cancelled`,
      [
        randomUUID(),
        order.orderId,
        decision.succeeded ? 'SUCCEEDED' : 'FAILED',
        order.amount,
        order.currency,
        decision.reason ?? null,
        decision.reference,
        randomUUID(), // a corrected result is a new message: the one sent before said otherwise
        replacing.filter((status) => status !== 'NOT_CHARGED'),
        replacing.includes('NOT_CHARGED'),
      ],
    );
    if (!recorded) return null;
    const payment = paymentOf(recorded)!;
    await putInOutbox(tx, resultMessageOf(payment));
    return { payment, cancelled: recorded.cancelled };
  }

  /** Runs `work` in a transaction holding the order's lock, with what payment knows of the order. */
  async underLock<T>(
    orderId: string,
    work: (tx: EntityManager, known: OrderPayment) => Promise<T>,
  ): Promise<T> {
    return this.lockedTransaction(orderId, async (tx) => {
      const [known]: RawOrderPayment[] = await tx.query(KNOWN_OF_ORDER, [orderId]);
      return work(tx, orderPaymentOf(known));
    });
  }

  /** Runs `work` in a transaction holding the order's lock, then wakes the relay for what it put in the outbox. */
  private async lockedTransaction<T>(orderId: string, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_LOCK_SPACE, orderId]);
      return work(tx);
    });
    this.relay.wake();
    return result;
  }

  /**
   * Claims the charge of an order (true), stamping when it is sent to the processor, or answers without charging
   * (false): a decided payment's result again, a cancelled order never charged. Under the order's lock, the read and
   * the claim in one statement; the claim's WHERE is the `claimable` case below, the rest is decided from the read.
   */
  private async claim(order: OrderCreatedMessage): Promise<Claim> {
    return this.lockedTransaction(order.orderId, async (tx) => {
      const [known]: (RawOrderPayment & { claimed: boolean })[] = await tx.query(
        `WITH known AS (${KNOWN_OF_ORDER}),
         claimed AS (
           INSERT INTO payments (payment_id, order_id, status, amount, currency, result_message_id, charging_at)
           SELECT $2, $1, 'PENDING', $3, $4, $5, now() FROM known
           WHERE known.cancelled_order_id IS NULL AND (known.status IS NULL OR known.status = 'PENDING')
           ON CONFLICT (order_id) DO UPDATE SET charging_at = now()
           RETURNING order_id
         )
         SELECT known.*, EXISTS (SELECT 1 FROM claimed) AS claimed FROM known`,
        [order.orderId, randomUUID(), order.amount, order.currency, randomUUID()],
      );
      // Claimable: not cancelled, and no payment or a PENDING claim left by a copy that died (charged again: the
      // processor dedupes by key).
      if (known.claimed) return 'claimed';
      const { payment, cancellation } = orderPaymentOf(known);
      if (payment && payment.status !== 'PENDING') {
        await putInOutbox(tx, resultMessageOf(payment)); // order_created came again: the decided result again
        return 'answered';
      }
      // Never charge a cancelled order. A claim already PENDING is a charge in flight, or one its copy left: the
      // caller settles the cancellation, deciding a claim left.
      if (payment) return 'cancelled';
      if (cancellation) await this.recordCharge(tx, order, NOT_CHARGED, []);
      return 'answered';
    });
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
