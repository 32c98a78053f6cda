import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';

/** Often enough that a storm is held back within a fraction of a second; one indexed count each time. */
const COUNT_INTERVAL_MS = 250;

/**
 * Orders the saga has not ended yet, across every instance (CREATED in the table). While there are
 * ORDER_MAX_SAGA_BACKLOG or more, POST /orders takes no new stock (503 OVERLOADED): accepted orders are confirmed
 * within seconds, never so late that their holds expire after payment (docs/contract.md §2, "Saga backlog").
 */
@Injectable()
export class SagaBacklog {
  private count = 0;

  constructor(
    private readonly db: DataSource,
    private readonly config: OrderConfig,
  ) {}

  /** True while the last count reached the limit. */
  behind(): boolean {
    return this.config.maxSagaBacklog > 0 && this.count >= this.config.maxSagaBacklog;
  }

  // Not counted at all without a limit (ORDER_MAX_SAGA_BACKLOG=0).
  @Periodic('saga backlog', OrderConfig, (config) =>
    config.maxSagaBacklog > 0 ? COUNT_INTERVAL_MS : undefined,
  )
  async recount(): Promise<number> {
    try {
      const [{ count }] = (await this.db.query(
        `SELECT count(*)::int AS count FROM orders WHERE status = 'CREATED'`,
      )) as [{ count: number }];
      this.count = count;
    } catch {
      // Postgres away: the last count stands (readiness reports the database; orders fail on their own).
    }
    return this.count;
  }
}
