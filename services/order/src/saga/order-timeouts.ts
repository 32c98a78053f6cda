import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { withLogFields } from '@boxoffice/logging/log-context';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';
import { Order } from './order.entity';
import { OrderSaga } from './order-saga';

const BATCH = 100;
/** Orders timed out at once: each is an inventory call and a transaction. */
const PARALLEL = 8;
/** How long a claimed order is left to the instance that claimed it, should that instance die mid-sweep. */
const CLAIM_SECONDS = 30;

/**
 * Ends orders whose payment never answered (payment down for good, its message dead-lettered): every 202 must
 * end (docs/contract.md §6.3). Runs in every instance: each claims a batch of overdue orders for a while
 * (SKIP LOCKED, so instances take different ones) and times them out, several at a time.
 */
@Injectable()
export class OrderTimeouts {
  private readonly logger = new Logger('order-timeouts');

  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly config: OrderConfig,
  ) {}

  /** Ends every CREATED order older than the payment timeout; returns how many it ended. */
  @Periodic('timeout sweep', OrderConfig, (config) => config.timeoutSweepIntervalMs)
  async sweep(): Promise<number> {
    let ended = 0;
    for (let claimed = await this.claimOverdue(); claimed.length; claimed = await this.claimOverdue()) {
      ended += await this.timeOut(claimed);
      if (claimed.length < BATCH) break;
    }
    if (ended) this.logger.warn(`cancelled ${ended} orders whose payment never answered`);
    return ended;
  }

  /** Up to a batch of overdue orders no other instance is timing out; the database's clock decides what is due. */
  private async claimOverdue(): Promise<Order[]> {
    const [rows] = (await this.db.query(
      `UPDATE orders SET timeout_claimed_until = now() + make_interval(secs => $3)
       WHERE order_id IN (
         SELECT order_id FROM orders
         WHERE status = 'CREATED' AND created_at < now() - make_interval(secs => $1)
           AND (timeout_claimed_until IS NULL OR timeout_claimed_until < now())
         ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING order_id`,
      [this.config.paymentTimeoutMs / 1000, BATCH, CLAIM_SECONDS],
    )) as [{ order_id: string }[], number];
    if (!rows.length) return [];
    return this.db.getRepository(Order).findBy({ orderId: In(rows.map((row) => row.order_id)) });
  }

  private async timeOut(orders: Order[]): Promise<number> {
    let ended = 0;
    const queue = [...orders];
    const worker = async () => {
      for (let order = queue.shift(); order; order = queue.shift()) {
        // One order that cannot end now (inventory down) must not keep the others waiting; its claim lapses.
        await withLogFields({ orderId: order.orderId }, () =>
          this.saga.onPaymentTimeout(order!).then(
            () => ended++,
            (error: Error) => this.logger.warn(`order ${order!.orderId} not timed out yet: ${error.message}`),
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return ended;
  }
}
