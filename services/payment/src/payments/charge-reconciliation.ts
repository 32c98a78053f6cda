import { Injectable } from '@nestjs/common';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { PaymentConfig } from '../payment.config';
import { PaymentsService } from './payments.service';

/** How far back the processor's charges are compared with ours. */
const WINDOW_SECONDS = 86_400;

/** Every `PAYMENT_RECONCILE_INTERVAL_MS`, finds charges the processor made that have no payment (see reconcile()). */
@Injectable()
export class ChargeReconciliation {
  constructor(
    private readonly payments: PaymentsService,
    private readonly config: PaymentConfig,
  ) {}

  @Periodic('charge reconciliation', PaymentConfig, (config) => config.reconcileIntervalMs)
  reconcile(): Promise<unknown> {
    return this.payments.reconcile(this.config.reconcileAfterSeconds, WINDOW_SECONDS);
  }
}
