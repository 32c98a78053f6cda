import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { InventoryConfig } from '../inventory.config';
import { StockGate } from '../stock-gate/stock-gate';
import { Reservation } from '../ledger/reservation.entity';
import { movesOutOfHeld, moveSaleCounters } from '../ledger/sale-counters';
import { ReservationsService } from './reservations.service';

const BATCH = 200;

/**
 * Returns expired holds to stock, on a timer, in every running instance (rows are claimed with SKIP LOCKED).
 * It also settles holds that Redis still has after their expiry: left over by a crash between Redis and Postgres.
 */
@Injectable()
export class HoldExpiry {
  private readonly logger = new Logger('hold-expiry');

  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
    private readonly reservations: ReservationsService,
  ) {}

  /** One pass: release expired ledger holds, then settle Redis holds the ledger has already decided. */
  @Periodic('hold expiry sweep', InventoryConfig, (config) => config.holdSweepIntervalMs)
  async sweep(): Promise<number> {
    let released = 0;
    for (;;) {
      const rows = await this.releaseExpiredInLedger();
      for (const row of rows) await this.reservations.applyToGate(row);
      released += rows.length;
      if (rows.length < BATCH) break;
    }
    // Only the sales with holds in Redis: the ones that ended long ago are never read again.
    const now = await this.gate.now();
    const expired = await this.gate.expiredHolds(await this.gate.holdingEventIds(now), now, BATCH);
    for (const [eventId, orderIds] of expired) await this.settleLeftoverHolds(eventId, orderIds);
    if (released) this.logger.log(`released ${released} expired holds`);
    return released;
  }

  private async releaseExpiredInLedger(): Promise<Reservation[]> {
    return this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE reservations SET status = 'RELEASED', version = version + 1, updated_at = now()
         WHERE order_id IN (SELECT order_id FROM reservations WHERE status = 'HELD' AND expires_at <= now()
                            ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING order_id, event_id, status, quantity`,
        [BATCH],
      )) as [
        { order_id: string; event_id: string; status: Reservation['status']; quantity: number }[],
        number,
      ];
      const released = rows.map((row) =>
        Object.assign(new Reservation(), {
          orderId: row.order_id,
          eventId: row.event_id,
          status: row.status,
          quantity: row.quantity,
        }),
      );
      await moveSaleCounters(tx, movesOutOfHeld(released), { guarded: false });
      return released;
    });
  }

  private async settleLeftoverHolds(eventId: string, orderIds: string[]): Promise<void> {
    const rows: { order_id: string; status: Reservation['status'] }[] = await this.db.query(
      'SELECT order_id, status FROM reservations WHERE order_id = ANY($1)',
      [orderIds],
    );
    const ledger = new Map(rows.map((row) => [row.order_id, row.status]));
    for (const orderId of orderIds) {
      const status = ledger.get(orderId);
      if (status === 'HELD') continue; // expired in the ledger too: the next ledger pass releases it
      if (status) {
        await this.reservations.applyToGate(Object.assign(new Reservation(), { orderId, eventId, status }));
      } else {
        await this.reservations.releaseUnrecorded(eventId, orderId);
      }
    }
  }
}
