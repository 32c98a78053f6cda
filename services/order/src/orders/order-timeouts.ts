import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderConfig } from '../order.config';
import { Order } from './order.entity';
import { OrderSaga } from './order-saga.service';

const BATCH = 100;

/**
 * Ends orders whose payment never answered (payment down for good, its message dead-lettered): every 202 must
 * end (SPEC §6.3). Runs in every instance; the saga's guarded transition makes a double run harmless.
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

  /** Cancels every CREATED order older than the payment timeout; returns how many it ended. */
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
    for (const order of overdue) await this.saga.onPaymentTimeout(order);
    if (overdue.length) this.logger.warn(`cancelled ${overdue.length} orders whose payment never answered`);
    return overdue.length;
  }
}
