import type { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import type { OutboxRelay } from './outbox-relay';

/**
 * Whether the relay LISTENs now (1) or not (0: connecting, or reconnecting after a drop or an unanswered heartbeat,
 * when only its poll finds other instances' rows), read when Prometheus scrapes. Not declared with NOTIFY off.
 */
export class OutboxListenerGauge {
  constructor(relay: OutboxRelay, metrics: ServiceMetrics) {
    if (!relay.listens()) return;
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_outbox_listener_listening',
      help: "Whether the outbox relay LISTENs for other instances' commits now (1) or not (0)",
      read: async (gauge) => gauge.set(relay.listening() ? 1 : 0),
    });
  }
}
