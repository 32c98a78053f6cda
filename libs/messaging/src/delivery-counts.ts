import type { CounterOf, ServiceMetrics } from '@boxoffice/metrics/service-metrics';

/** What the consumer decided for each delivery, per queue: handled (acked), sent to a retry queue, dead-lettered. */
export class DeliveryCounts {
  readonly handled: CounterOf<'queue'>;
  readonly retried: CounterOf<'queue'>;
  readonly deadLettered: CounterOf<'queue' | 'reason'>;

  constructor(metrics: ServiceMetrics) {
    this.handled = metrics.counter({
      name: 'boxoffice_messages_handled_total',
      help: 'Deliveries whose handler succeeded and that were acked, per consumer queue',
      labelNames: ['queue'],
    });
    this.retried = metrics.counter({
      name: 'boxoffice_messages_retried_total',
      help: 'Deliveries whose handler failed and that were sent to a retry queue, per consumer queue',
      labelNames: ['queue'],
    });
    this.deadLettered = metrics.counter({
      name: 'boxoffice_messages_dead_lettered_total',
      help: 'Deliveries sent to the dead-letter queue, per consumer queue and reason',
      labelNames: ['queue', 'reason'],
    });
  }
}
