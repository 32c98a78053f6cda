import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import { StockGate } from '../stock-gate/stock-gate';

/** Enough for every sale an operator watches at once; more would only make the scrape and the series grow. */
const MOST_SALES = 100;

/**
 * Available, held and sold tickets of each active sale, read when Prometheus scrapes: active is what the Redis gate
 * holds (gate-retention.ts drops a sale idle for INVENTORY_GATE_IDLE_HOURS), the counts are the ledger's. So the
 * series stay as few as the sales being sold, and a finished sale's last counts stay until it goes idle.
 */
@Injectable()
export class SaleStockMetrics {
  constructor(db: DataSource, gate: StockGate, metrics: ServiceMetrics) {
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_sale_tickets',
      help: 'Tickets of each active sale (one the Redis gate holds) by state: available, held, sold; from the ledger',
      labelNames: ['event_id', 'state'],
      read: async (gauge) => {
        const active = await gate.loadedEventIds();
        const sales: Array<{ event_id: string; available: number; held: number; sold: number }> =
          await db.query(
            `SELECT event_id, total_stock - held - sold AS available, held, sold FROM sales
           WHERE event_id = ANY($1) ORDER BY updated_at DESC LIMIT $2`,
            [active, MOST_SALES],
          );
        gauge.reset();
        for (const { event_id, available, held, sold } of sales) {
          gauge.set({ event_id, state: 'available' }, available);
          gauge.set({ event_id, state: 'held' }, held);
          gauge.set({ event_id, state: 'sold' }, sold);
        }
      },
    });
  }
}
