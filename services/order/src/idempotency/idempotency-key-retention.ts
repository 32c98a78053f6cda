import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';

const EVERY_MS = 60_000;
/** Deleted per statement, so that no sweep holds many row locks at once. */
const BATCH = 1_000;

/** An Idempotency-Key is answered for `IDEMPOTENCY_KEY_RETENTION_HOURS`, then forgotten (docs/contract.md §2). */
@Injectable()
export class IdempotencyKeyRetention {
  private readonly logger = new Logger('idempotency-key-retention');

  constructor(
    private readonly db: DataSource,
    private readonly config: OrderConfig,
  ) {}

  /** Forgets every key older than the retention; returns how many. */
  @Periodic('idempotency key retention', EVERY_MS)
  async sweep(): Promise<number> {
    let forgotten = 0;
    for (;;) {
      const [, count] = (await this.db.query(
        `DELETE FROM idempotency_keys WHERE key IN (
           SELECT key FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)`,
        [this.config.idempotencyKeyRetentionMs / 1000, BATCH],
      )) as [unknown, number];
      forgotten += count;
      if (count < BATCH) break;
    }
    if (forgotten) this.logger.log(`forgot ${forgotten} idempotency keys`);
    return forgotten;
  }
}
