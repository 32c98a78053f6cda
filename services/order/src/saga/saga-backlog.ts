import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';

/** Often enough that a storm is held back within a fraction of a second; one indexed count each time. */
const COUNT_INTERVAL_MS = 250;

/**
 * The sales with ORDER_MAX_SAGA_BACKLOG or more orders CREATED at least ORDER_SAGA_BACKLOG_AFTER_SECONDS ago, on
 * Postgres's clock (`created_at` is its `now()` at the insert). Range-scans orders_open (created_at, CREATED only):
 * the young orders of a healthy storm are not even read. Exported for the plan's test.
 */
export const BACKLOG_COUNT = `SELECT event_id FROM orders
  WHERE status = 'CREATED' AND created_at <= now() - make_interval(secs => $2)
  GROUP BY event_id HAVING count(*) >= $1`;

/**
 * Orders the saga is late with, per sale, across every instance: CREATED longer than a healthy saga takes. While a
 * sale has ORDER_MAX_SAGA_BACKLOG or more, POST /orders takes no new stock of it (503 OVERLOADED): its accepted orders
 * are confirmed within seconds, never so late that their holds expire after payment. A saga that keeps up always has
 * a few hundred orders in flight in a storm (accepted/s times the second or so each takes), so only orders older than
 * ORDER_SAGA_BACKLOG_AFTER_SECONDS count: those say the saga is behind, the young ones only that it is busy. Per sale,
 * so that orders held up by an outage (the broker, payment) stop only the sale they belong to (docs/contract.md §2,
 * "Saga backlog").
 */
@Injectable()
export class SagaBacklog {
  private full: ReadonlySet<string> = new Set();

  constructor(
    private readonly db: DataSource,
    private readonly config: OrderConfig,
  ) {}

  /** True while the last count found this sale at the limit. */
  behind(eventId: string): boolean {
    return this.full.has(eventId);
  }

  // Not counted at all without a limit (ORDER_MAX_SAGA_BACKLOG=0).
  @Periodic('saga backlog', OrderConfig, (config) =>
    config.maxSagaBacklog > 0 ? COUNT_INTERVAL_MS : undefined,
  )
  async recount(): Promise<ReadonlySet<string>> {
    if (this.config.maxSagaBacklog === 0) return this.full;
    try {
      const rows = (await this.db.query(BACKLOG_COUNT, [
        this.config.maxSagaBacklog,
        this.config.sagaBacklogAfterSeconds,
      ])) as Array<{ event_id: string }>;
      this.full = new Set(rows.map((row) => row.event_id));
    } catch {
      // Postgres away: the last count stands (readiness reports the database; orders fail on their own).
    }
    return this.full;
  }
}
