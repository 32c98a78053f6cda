import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { InventoryConfig } from '../inventory.config';
import { lockSaleExclusive } from '../ledger/sale-lock';
import { StockGate } from './stock-gate';

const EVERY_MS = 60_000;

/**
 * Redis never evicts (it may not: see redis-fitness.ts), so sales leave it here: one with no hold open and nothing
 * changed for `INVENTORY_GATE_IDLE_HOURS` is dropped from Redis. Its ledger stays; the next call rebuilds it.
 */
@Injectable()
export class GateRetention {
  private readonly logger = new Logger('gate-retention');

  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
    private readonly config: InventoryConfig,
  ) {}

  /** Drops every idle sale still in Redis; returns their event ids. */
  @Periodic('gate retention sweep', EVERY_MS)
  async sweep(): Promise<string[]> {
    const idle: { event_id: string }[] = await this.db.query(
      `SELECT s.event_id FROM sales s
       WHERE s.updated_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.event_id = s.event_id
                         AND (r.status = 'HELD' OR r.updated_at >= now() - make_interval(secs => $1)))`,
      [this.config.gateIdleMs / 1000],
    );
    const dropped: string[] = [];
    for (const { event_id: eventId } of idle) {
      if (!(await this.gate.counts(eventId))) continue;
      // Exclusive: no hold of this sale is being recorded while its gate goes.
      await this.db.transaction(async (tx) => {
        await lockSaleExclusive(tx, eventId);
        await this.gate.forget(eventId);
      });
      dropped.push(eventId);
    }
    if (dropped.length)
      this.logger.log(`dropped ${dropped.length} idle sales from Redis: ${dropped.join(', ')}`);
    return dropped;
  }
}
