import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PaymentConfig } from '../payment.config';
import { PaymentsService } from './payments.service';

/** How far back the processor's charges are compared with ours. */
const WINDOW_SECONDS = 86_400;

/** Every `PAYMENT_RECONCILE_INTERVAL_MS`, finds charges the processor made that have no payment (see reconcile()). */
@Injectable()
export class ChargeReconciliation implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('charge-reconciliation');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly payments: PaymentsService,
    private readonly config: PaymentConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.payments
        .reconcile(this.config.reconcileAfterSeconds, WINDOW_SECONDS)
        .catch((error) =>
          this.logger.warn(`reconciliation failed, retrying next tick: ${(error as Error).message}`),
        )
        .finally(() => (this.running = undefined));
    }, this.config.reconcileIntervalMs);
  }

  // Stops before the module closes its database pool (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
