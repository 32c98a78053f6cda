import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '@boxoffice/scheduling/periodic-task';
import { PaymentConfig } from '../payment.config';
import { PaymentsService } from './payments.service';

/** How far back the processor's charges are compared with ours. */
const WINDOW_SECONDS = 86_400;

/** Every `PAYMENT_RECONCILE_INTERVAL_MS`, finds charges the processor made that have no payment (see reconcile()). */
@Injectable()
export class ChargeReconciliation implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;

  constructor(
    private readonly payments: PaymentsService,
    private readonly config: PaymentConfig,
  ) {
    this.task = new PeriodicTask('charge reconciliation', config.reconcileIntervalMs, () =>
      this.payments.reconcile(this.config.reconcileAfterSeconds, WINDOW_SECONDS),
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  // Stops before the module closes its database pool (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }
}
