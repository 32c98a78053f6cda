import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderConfig } from '../order.config';
import { Order } from '../orders/order.entity';
import { OrderSaga } from './order-saga';

const BATCH = 100;

/**
 * Ends orders whose payment never answered (payment down for good, its message dead-lettered): every 202 must
 * end (docs/contract.md §6.3). Runs in every instance; the saga's guarded transition makes a double run harmless.
 */
@Injectable()
export class OrderTimeouts implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('order-timeouts');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: DataSource,
    private readonly saga: OrderSaga,
    private readonly config: OrderConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error) =>
          this.logger.warn(`timeout sweep failed, retrying next tick: ${(error as Error).message}`),
        )
        .finally(() => (this.running = undefined));
    }, this.config.timeoutSweepIntervalMs);
  }

  // Stops before the module closes its database pool (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Ends every CREATED order older than the payment timeout; returns how many it ended. */
  async sweep(): Promise<number> {
    const overdue = await this.db
      .getRepository(Order)
      .createQueryBuilder('o')
      .where(`o.status = 'CREATED' AND o.created_at < now() - make_interval(secs => :seconds)`, {
        seconds: this.config.paymentTimeoutMs / 1000,
      })
      .orderBy('o.created_at')
      .limit(BATCH)
      .getMany();
    let ended = 0;
    for (const order of overdue) {
      // One order that cannot end now (inventory down) must not keep the others waiting.
      await this.saga.onPaymentTimeout(order).then(
        () => ended++,
        (error: Error) => this.logger.warn(`order ${order.orderId} not timed out yet: ${error.message}`),
      );
    }
    if (ended) this.logger.warn(`cancelled ${ended} orders whose payment never answered`);
    return ended;
  }
}
