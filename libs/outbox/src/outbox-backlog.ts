import type { DataSource } from 'typeorm';
import type { ServiceMetrics } from '@boxoffice/metrics/service-metrics';

/** Rows waiting for the broker; parked rows wait for an operator and are not counted. */
const PENDING = 'FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL';

/**
 * The outbox rows still waiting for the broker and how old the oldest of them is, on the database's clock, read
 * when Prometheus scrapes: a query on the partial index `outbox_due` per scrape rather than bookkeeping in the
 * relay's hot path.
 */
export class OutboxBacklog {
  constructor(db: DataSource, metrics: ServiceMetrics) {
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_outbox_backlog',
      help: 'Outbox rows not yet confirmed by the broker (parked rows excluded)',
      read: async (gauge) => {
        const [{ rows }] = await db.query(`SELECT count(*)::int AS rows ${PENDING}`);
        gauge.set(rows);
      },
    });
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet confirmed by the broker (0 when none)',
      read: async (gauge) => {
        const [{ seconds }] = await db.query(
          `SELECT coalesce(extract(epoch FROM statement_timestamp() - min(created_at)), 0)::float8 AS seconds ${PENDING}`,
        );
        gauge.set(seconds);
      },
    });
  }
}
