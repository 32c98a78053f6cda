import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { putInOutbox } from '@boxoffice/outbox/outbox';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { DomainError } from '@boxoffice/errors/domain-error';
import { Traced } from '@boxoffice/tracing/traced.decorator';
import { PaymentGateway, type GatewayOutcome } from '../gateway/payment-gateway';
import { Payment } from './payment.entity';

const CHARGE_KEY = 'charge:';

/** Charges each order at most once, whatever is redelivered, and refunds the charge of a cancelled order. */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger('payments');

  constructor(
    private readonly db: DataSource,
    private readonly gateway: PaymentGateway,
    private readonly relay: OutboxRelay,
  ) {}

  @Traced('charge')
  async chargeOrder(order: OrderCreatedMessage): Promise<void> {
    const known = await this.db.getRepository(Payment).findOne({ where: { orderId: order.orderId } });
    if (known) return this.sendResult(known);
    // The processor dedupes by key: a crash after this call and a redelivery never charge twice.
    const outcome = await this.gateway.charge({
      idempotencyKey: `${CHARGE_KEY}${order.orderId}`,
      amount: order.amount,
      currency: order.currency,
      paymentToken: order.paymentToken,
    });
    await this.record(order, outcome);
  }

  /**
   * Charges the processor made that we have no payment for (their order_created dead-lettered after the charge, say)
   * are recorded from the processor's own record and their result sent: the saga then confirms the order, or
   * refunds the charge of an order already cancelled. Returns how many were found.
   */
  async reconcile(olderThanSeconds: number, withinSeconds: number): Promise<number> {
    const charges = (await this.gateway.chargesMade(olderThanSeconds, withinSeconds)).filter((charge) =>
      charge.idempotencyKey.startsWith(CHARGE_KEY),
    );
    if (!charges.length) return 0;
    const orderIds = charges.map((charge) => charge.idempotencyKey.slice(CHARGE_KEY.length));
    const known: { order_id: string }[] = await this.db.query(
      'SELECT order_id FROM payments WHERE order_id = ANY($1)',
      [orderIds],
    );
    const recorded = new Set(known.map((row) => row.order_id));
    let found = 0;
    for (const [i, charge] of charges.entries()) {
      if (recorded.has(orderIds[i])) continue;
      this.logger.warn(`charge ${charge.reference} of order ${orderIds[i]} had no payment: recording it`);
      if (
        await this.record({ orderId: orderIds[i], amount: charge.amount, currency: charge.currency }, charge)
      )
        found++;
    }
    return found;
  }

  /** The payment and its payment_result, once per order whoever records it first; false if it was already there. */
  private async record(
    order: Pick<OrderCreatedMessage, 'orderId' | 'amount' | 'currency'>,
    outcome: GatewayOutcome,
  ): Promise<boolean> {
    const payment = Object.assign(new Payment(), {
      paymentId: randomUUID(),
      orderId: order.orderId,
      status: outcome.succeeded ? 'SUCCEEDED' : 'FAILED',
      amount: order.amount,
      currency: order.currency,
      reason: outcome.reason ?? null,
      chargeReference: outcome.reference,
      resultMessageId: randomUUID(),
    });
    const recorded = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(Payment)
        .values(payment)
        .orIgnore() // a concurrent copy of the message, or the reconciliation, recorded it first
        .returning(['created_at'])
        .execute();
      const [row] = inserted.raw as { created_at: Date }[];
      if (!row) return false;
      payment.createdAt = row.created_at;
      await putInOutbox(tx, resultMessageOf(payment));
      return true;
    });
    if (recorded) this.relay.wake();
    return recorded;
  }

  @Traced('refund')
  async refundOrder(cancelled: OrderCancelledMessage): Promise<void> {
    const payment = await this.db.getRepository(Payment).findOne({ where: { orderId: cancelled.orderId } });
    if (payment?.status !== 'SUCCEEDED') return; // nothing was charged, or it is refunded already
    const refund = await this.gateway.refund({
      idempotencyKey: `refund:${payment.orderId}`,
      chargeReference: payment.chargeReference,
      amount: payment.amount,
      currency: payment.currency,
    });
    // A refund is a compensation: whatever the processor answers now, it is asked again until it refunds.
    if (!refund.succeeded) {
      throw new DomainError('UNAVAILABLE', `refund of ${payment.orderId} refused for now: ${refund.reason}`);
    }
    await this.db.query(
      `UPDATE payments SET status = 'REFUNDED', version = version + 1, updated_at = now()
       WHERE order_id = $1 AND status = 'SUCCEEDED'`,
      [payment.orderId],
    );
    this.logger.log(`refunded order ${payment.orderId} (${cancelled.reason})`);
  }

  async get(orderId: string): Promise<PaymentView> {
    const payment = await this.db.getRepository(Payment).findOne({ where: { orderId } });
    if (!payment) throw new DomainError('PAYMENT_NOT_FOUND', `No payment for order ${orderId}`);
    return {
      paymentId: payment.paymentId,
      orderId: payment.orderId,
      status: payment.status,
      amount: payment.amount,
      currency: payment.currency,
      ...(payment.reason ? { reason: payment.reason } : {}),
    };
  }

  /** `order_created` came again: send the decided result again, under its original message id. */
  private async sendResult(payment: Payment): Promise<void> {
    await this.db.transaction((tx) => putInOutbox(tx, resultMessageOf(payment)));
    this.relay.wake();
  }
}

/** The `payment_result` of a payment, the same every time it is sent. */
function resultMessageOf(payment: Payment): OutgoingMessage {
  const result: PaymentResultMessage = {
    version: 1,
    orderId: payment.orderId,
    paymentId: payment.paymentId,
    status: payment.status === 'FAILED' ? 'failed' : 'succeeded',
    ...(payment.reason ? { reason: payment.reason } : {}),
    processedAt: payment.createdAt.toISOString(),
  };
  return {
    routingKey: ROUTING_KEYS.paymentResult,
    messageId: payment.resultMessageId,
    correlationId: payment.orderId,
    payload: result,
  };
}
