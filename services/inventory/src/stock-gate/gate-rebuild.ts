import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ReservationStatus } from '@boxoffice/contracts/inventory/reservation.dto';
import { Sale } from '../ledger/sale.entity';
import { lockSaleExclusive } from '../ledger/sale-lock';
import { StockGate } from './stock-gate';

interface LedgerRow {
  order_id: string;
  status: ReservationStatus;
  user_id: string;
  quantity: number;
  expires_at: Date;
}

/** Puts a sale back into Redis from the Postgres ledger when Redis lost it (wiped, restarted, evicted). */
@Injectable()
export class GateRebuild {
  private readonly logger = new Logger('gate-rebuild');
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
  ) {}

  /** Loads the sale unless Redis has it; false when there is no such sale. One rebuild per sale at a time. */
  ensureLoaded(eventId: string): Promise<boolean> {
    const running = this.inFlight.get(eventId);
    if (running) return running;
    const rebuild = this.db
      .transaction((tx) => this.loadLocked(tx, eventId, false))
      .finally(() => this.inFlight.delete(eventId));
    this.inFlight.set(eventId, rebuild);
    return rebuild;
  }

  /** Drops what Redis has for the sale and loads it again from the ledger. */
  reload(eventId: string): Promise<boolean> {
    return this.db.transaction((tx) => this.loadLocked(tx, eventId, true));
  }

  /** Loads the sale inside a transaction that already holds the sale's exclusive lock. */
  async loadLocked(tx: EntityManager, eventId: string, replace: boolean): Promise<boolean> {
    await lockSaleExclusive(tx, eventId);
    if (replace) await this.gate.forget(eventId);
    else if (await this.gate.counts(eventId)) return true;
    const sale = await tx.findOne(Sale, { where: { eventId } });
    if (!sale) return false;
    const rows: LedgerRow[] = await tx.query(
      'SELECT order_id, status, user_id, quantity, expires_at FROM reservations WHERE event_id = $1',
      [eventId],
    );
    const loaded = await this.gate.load(eventId, {
      totalStock: sale.totalStock,
      perUserLimit: sale.perUserLimit,
      unitPrice: sale.unitPrice,
      currency: sale.currency,
      reservations: rows.map((row) => ({
        orderId: row.order_id,
        status: row.status,
        userId: row.user_id,
        quantity: row.quantity,
        expiresAtMs: row.expires_at.getTime(),
      })),
    });
    if (loaded) this.logger.log(`rebuilt sale ${eventId} from ${rows.length} ledger rows`);
    return true;
  }
}
