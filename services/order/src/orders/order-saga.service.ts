import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { DomainError } from '@boxoffice/platform/http/domain-error';
import { InventoryClient } from '../inventory-client/inventory.client';
import { Order } from './order.entity';
import { afterCommit, afterRelease, afterTimeout, SagaOutcome, SagaStep, stepForPayment } from './order-saga';

/**
 * Runs the saga's steps (see `order-saga.ts`) against inventory and the orders table. Every step is safe to run
 * twice: inventory's commit and release are idempotent and the final transition only moves a CREATED order.
 * An unreachable inventory throws, so the message is retried later and the compensation is never lost.
 */
@Injectable()
export class OrderSaga {
  private readonly logger = new Logger('order-saga');

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly relay: OutboxRelay,
  ) {}

  async onPaymentResult(result: PaymentResultMessage): Promise<void> {
    const order = await this.db.getRepository(Order).findOne({ where: { orderId: result.orderId } });
    if (!order)
      throw new DomainError('ORDER_NOT_FOUND', `payment_result for unknown order ${result.orderId}`);
    const step = stepForPayment(order, result);
    if (step.kind === 'ignore') {
      this.logger.debug?.(`payment_result for ${order.orderId} ignored: ${step.why}`);
      return;
    }
    if (step.kind === 'refund-late-charge') return this.refundLateCharge(order, step.paymentId);
    const outcome = await this.settleHold(order, step);
    await this.finish(order, outcome);
  }

  /** No payment_result within the timeout: give the stock back and end the order (see OrderTimeouts). */
  async onPaymentTimeout(order: Order): Promise<void> {
    try {
      await this.inventory.release(order.orderId, order.eventId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'RESERVATION_COMMITTED') throw error;
      // The hold was committed, which only follows a successful payment whose result could not be recorded
      // yet: the ticket is sold, so the order is CONFIRMED (without its payment id, which only that result had).
      return this.finish(order, { status: 'CONFIRMED' });
    }
    await this.finish(order, afterTimeout());
  }

  private async settleHold(
    { orderId, eventId }: Order,
    step: Extract<SagaStep, { kind: 'commit-hold' | 'release-hold' }>,
  ): Promise<SagaOutcome> {
    if (step.kind === 'release-hold') {
      await this.inventory.release(orderId, eventId);
      return afterRelease(step);
    }
    try {
      await this.inventory.commit(orderId);
      return afterCommit(step.paymentId, true);
    } catch (error) {
      const holdGone =
        error instanceof DomainError && ['HOLD_EXPIRED', 'RESERVATION_RELEASED'].includes(error.code);
      if (!holdGone) throw error;
      await this.inventory.release(orderId, eventId); // an expired hold not yet swept goes back to stock now
      return afterCommit(step.paymentId, false);
    }
  }

  /** Moves a CREATED order to its end state; a cancelled order tells payment, which refunds any charge. */
  private async finish(order: Order, outcome: SagaOutcome): Promise<void> {
    const moved = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE orders SET status = $2, reason = $3, payment_id = $4, version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'CREATED' RETURNING order_id`,
        [order.orderId, outcome.status, outcome.reason ?? null, outcome.paymentId ?? null],
      )) as [unknown[], number];
      if (!rows.length || outcome.status !== 'CANCELLED') return rows.length > 0;
      await this.tellPayment(tx, order.orderId, outcome.reason!);
      return true;
    });
    if (moved && outcome.status === 'CANCELLED') this.relay.wake();
  }

  /** The order timed out, then its payment succeeded after all: it stays CANCELLED and the charge is refunded. */
  private async refundLateCharge(order: Order, paymentId: string): Promise<void> {
    const recorded = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE orders SET payment_id = $2, version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'CANCELLED' AND payment_id IS NULL RETURNING order_id`,
        [order.orderId, paymentId],
      )) as [unknown[], number];
      if (rows.length) await this.tellPayment(tx, order.orderId, order.reason ?? 'PAYMENT_TIMEOUT');
      return rows.length > 0;
    });
    if (recorded) this.relay.wake();
  }

  /** `order_cancelled`, in the transaction that cancelled: payment refunds whatever it charged for the order. */
  private async tellPayment(tx: EntityManager, orderId: string, reason: string): Promise<void> {
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
