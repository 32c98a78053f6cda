import type { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import type { OutboxRelay } from './outbox-relay';

/**
 * The outbox rows still waiting for the broker and how old the oldest of them is, read from the relay when
 * Prometheus scrapes (one query on the partial index `outbox_due` per gauge) rather than counted in its hot path.
 */
export class OutboxBacklog {
  constructor(relay: OutboxRelay, metrics: ServiceMetrics) {
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_outbox_backlog',
      help: 'Outbox rows not yet confirmed by the broker (parked rows excluded)',
      read: async (gauge) => gauge.set((await relay.backlog()).rows),
    });
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet confirmed by the broker (0 when none)',
      read: async (gauge) => gauge.set((await relay.backlog()).oldestSeconds),
    });
  }
}
