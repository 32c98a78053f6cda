import type { CounterOf, ServiceMetrics } from '@boxoffice/metrics/service-metrics';

/** What the consumer decided for each delivery, per queue: handled (acked), sent to a retry queue, dead-lettered. */
export class DeliveryCounts {
  readonly handled: CounterOf<'queue'>;
  readonly retried: CounterOf<'queue'>;
  readonly deadLettered: CounterOf<'queue' | 'reason'>;
  readonly failed: CounterOf<'queue' | 'class'>;
  readonly unconfirmed: CounterOf<'queue'>;

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
    this.failed = metrics.counter({
      name: 'boxoffice_messages_failed_total',
      help: 'Handler runs that failed, per consumer queue and class (transient: retried without limit; bug: parked after MESSAGE_MAX_ATTEMPTS)',
      labelNames: ['queue', 'class'],
    });
    this.unconfirmed = metrics.counter({
      name: 'boxoffice_messages_copy_unconfirmed_total',
      help: 'Retry or dead-letter copies the broker did not confirm; the delivery stays unacked and its copy is tried again',
      labelNames: ['queue'],
    });
  }
}
