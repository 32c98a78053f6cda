import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ServiceMetrics, type CounterOf } from '@boxoffice/metrics/service-metrics';

/** What the payment service counts: refunds the processor refused, and cancellations not answered yet. */
@Injectable()
export class PaymentMetrics {
  private readonly refundsRefused: CounterOf<'reason'>;

  constructor(db: DataSource, metrics: ServiceMetrics) {
    this.refundsRefused = metrics.counter({
      name: 'boxoffice_payment_refunds_refused_total',
      help: 'Refunds the processor refused, by its reason; each is asked again until the processor refunds',
      labelNames: ['reason'],
    });
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_payment_cancellations_unsettled',
      help: 'Cancellations not answered yet: a refund owed (refused or not made yet), or a charge in flight',
      read: async (gauge) => {
        const [{ count }] = await db.query(
          'SELECT count(*)::int AS count FROM cancellations WHERE outcome IS NULL',
        );
        gauge.set(count);
      },
    });
  }

  refundRefused(reason: string): void {
    this.refundsRefused.inc({ reason });
  }
}
