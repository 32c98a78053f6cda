import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { addToOutbox } from '@boxoffice/outbox/outbox';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { DomainError } from '@boxoffice/platform/http/domain-error';
import { InventoryClient } from '../inventory-client/inventory.client';
import { Order } from './order.entity';
import { afterCommit, afterRelease, SagaOutcome, SagaStep, stepForPayment } from './order-saga';

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
    const step = stepForPayment(order.status, result);
    if (step.kind === 'ignore') {
      this.logger.debug?.(`payment_result for ${order.orderId} ignored: ${step.why}`);
      return;
    }
    const outcome = await this.settleHold(order.orderId, step);
    await this.finish(order, outcome);
  }

  private async settleHold(
    orderId: string,
    step: Exclude<SagaStep, { kind: 'ignore' }>,
  ): Promise<SagaOutcome> {
    if (step.kind === 'release-hold') {
      await this.inventory.release(orderId);
      return afterRelease(step);
    }
    try {
      await this.inventory.commit(orderId);
      return afterCommit(step.paymentId, true);
    } catch (error) {
      if (!(error instanceof DomainError) || !['HOLD_EXPIRED', 'RESERVATION_RELEASED'].includes(error.code))
        throw error;
      await this.inventory.release(orderId); // an expired hold not yet swept goes back to stock now
      return afterCommit(step.paymentId, false);
    }
  }

  /** Moves a CREATED order to its end state; a cancelled order tells payment, which refunds any charge. */
  private async finish(order: Order, outcome: SagaOutcome): Promise<void> {
    const moved = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE orders SET status = $2, reason = $3, payment_id = $4, version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'CREATED' RETURNING order_id`,
        [order.orderId, outcome.status, outcome.reason ?? null, outcome.paymentId],
      )) as [unknown[], number];
      if (!rows.length || outcome.status !== 'CANCELLED') return rows.length > 0;
      const message: OrderCancelledMessage = {
        version: 1,
        orderId: order.orderId,
        reason: outcome.reason!,
        cancelledAt: new Date().toISOString(),
      };
      await addToOutbox(tx, {
        routingKey: ROUTING_KEYS.orderCancelled,
        correlationId: order.orderId,
        payload: message,
      });
      return true;
    });
    if (moved && outcome.status === 'CANCELLED') this.relay.wake();
  }
}
