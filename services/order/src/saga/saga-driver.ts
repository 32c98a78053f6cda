import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { withLogFields } from '@boxoffice/logging/log-context';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { Order } from './order.entity';
import { OrderSaga, tryNow } from './order-saga';
import { stepWaitingIn } from './order-saga.definition';

const BATCH = 100;
/** Orders driven at once: each is an inventory call or a Postgres write. */
const PARALLEL = 8;
/** 2^30 times ORDER_RESEND_AFTER_MS is past any max: the exponent stops growing there, so no float overflows. */
const MAX_DOUBLINGS = 30;

/**
 * The saga's driver (docs/contract.md §6.3): the orchestrator waits for replies, it does not hope for them. An order
 * whose step was not answered by its `next_attempt_at` has the step done again from its row (ORDER_SAGA's `resend`:
 * order_created, inventory's commit, the release and order_cancelled), or its timeout (`timeout`), then waits twice
 * as long as before (ORDER_RESEND_AFTER_MS, doubling up to ORDER_RESEND_MAX_MS, less up to 20 % at random), without
 * end. Runs in every instance: each claims a batch of due orders (SKIP LOCKED), the new `next_attempt_at` its lease.
 */
@Injectable()
export class SagaDriver {
  private readonly logger = new Logger('saga-driver');

  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly config: OrderConfig,
    private readonly metrics: OrderMetrics,
  ) {}

  /** Drives every order due now; returns how many it drove. */
  @Periodic('saga driver', OrderConfig, (config) => config.sagaDriverIntervalMs)
  async sweep(): Promise<number> {
    let driven = 0;
    for (let claimed = await this.claimDue(); claimed.length; claimed = await this.claimDue()) {
      driven += claimed.length;
      await this.drive(claimed);
      if (claimed.length < BATCH) break;
    }
    // Each is a step not answered in time: a message lost, a participant down, or a payment timed out.
    if (driven) this.logger.warn(`drove ${driven} orders whose step was not answered in time`);
    return driven;
  }

  /**
   * Up to a batch of due orders no other instance is driving, each with its next attempt set (the lease, should this
   * instance die) and whether it is past the payment timeout. The database's clock decides what is due; a PAYMENT
   * order is due at its timeout at the latest.
   */
  private async claimDue(): Promise<Array<{ order: Order; overdue: boolean }>> {
    const { resendAfterMs, resendMaxMs, paymentTimeoutMs } = this.config;
    const [rows] = (await this.db.query(
      `WITH due AS (
         SELECT order_id FROM orders WHERE step <> 'DONE' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),
       backoff AS (
         SELECT o.order_id, make_interval(secs => least($3::float8, $2 * power(2, least(o.attempts + 1, $5)))
           * (0.8 + random() * 0.2) / 1000) AS wait, o.created_at + make_interval(secs => $4) AS timeout
         FROM orders o JOIN due USING (order_id))
       UPDATE orders o SET attempts = o.attempts + 1,
         next_attempt_at = now() + CASE WHEN o.step = 'PAYMENT' AND b.timeout > now()
           THEN least(b.wait, b.timeout - now()) ELSE b.wait END
       FROM backoff b WHERE o.order_id = b.order_id
       RETURNING o.order_id, o.step = 'PAYMENT' AND b.timeout <= now() AS overdue`,
      [BATCH, resendAfterMs, resendMaxMs, paymentTimeoutMs / 1000, MAX_DOUBLINGS],
    )) as [Array<{ order_id: string; overdue: boolean }>, number];
    if (!rows.length) return [];
    const orders = await this.db
      .getRepository(Order)
      .findBy({ orderId: In(rows.map((row) => row.order_id)) });
    const overdue = new Set(rows.filter((row) => row.overdue).map((row) => row.order_id));
    return orders.map((order) => ({ order, overdue: overdue.has(order.orderId) }));
  }

  private async drive(claimed: Array<{ order: Order; overdue: boolean }>): Promise<void> {
    const queue = [...claimed];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { order, overdue } = next;
        if (order.step === 'DONE') continue; // answered between the claim and the read
        const step = stepWaitingIn(order.step);
        const method = overdue && step.timeout ? step.timeout : step.resend!;
        this.metrics.drove(order.step);
        this.logger.debug?.(
          `order ${order.orderId}: ${method}, attempt ${order.attempts} of step ${order.step}`,
        );
        // One order that cannot go on now (inventory down) must not keep the others waiting: it is due again later.
        await withLogFields({ orderId: order.orderId }, () =>
          tryNow(`${method} of order ${order.orderId}`, () => this.saga[method](order)),
        );
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }
}
