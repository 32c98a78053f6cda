import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { ReserveStockDto } from '@boxoffice/contracts/inventory/reservation.dto';
import { InventoryConfig } from '../inventory.config';
import { CounterMove, moveSaleCounters } from '../ledger/sale-counters';
import { lockHoldsRecording } from '../ledger/sale-lock';
import { Reservation } from '../ledger/reservation.entity';
import { GateRebuild } from '../stock-gate/gate-rebuild';
import { GateHold, StockGate } from '../stock-gate/stock-gate';
import { asError, indexesBy, inRounds, ItemOutcome, settled } from './batch-items';
import {
  eventNotFound,
  fromRaw,
  judgeGateOutcome,
  notFound,
  RawReservation,
  released,
  ReservationsService,
  toView,
} from './reservations.service';

/** What one transaction wrote: the rows it inserted, and the orders it left alone because of the gate. */
interface Written {
  inserted: Map<string, Reservation>;
  /** Redis lost their holds since the script (wiped, rebuilt): taken again the single way. */
  lost: Set<string>;
  /** Released (or barred) in the gate since the script. */
  released: Set<string>;
}

/** The ledger refused the holds the gate granted in these sales: the transaction is rolled back. */
class LedgerRefusal extends Error {
  constructor(readonly eventIds: string[]) {
    super(`the ledger refused holds in ${eventIds.join(', ')}`);
  }
}

/**
 * `POST /reservations/batch`: the single reserve for many orders, each answered as it alone would be, with the
 * gate's scripts for all of them in one round trip to Redis (one script per sale, sent together) and their ledger
 * rows in one transaction (one multi-row INSERT, each sale's counters guarded once). The write order is the single
 * path's: held in Redis first, then recorded in Postgres, whose guard still refuses oversell.
 */
@Injectable()
export class ReserveBatch {
  private readonly logger = new Logger('reservations');

  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
    private readonly rebuild: GateRebuild,
    private readonly config: InventoryConfig,
    private readonly reservations: ReservationsService,
  ) {}

  reserve(items: ReserveStockDto[]): Promise<ItemOutcome[]> {
    return inRounds(
      items,
      (item) => item.orderId,
      (round) => this.reserveDistinct(round),
    );
  }

  /** Items with distinct order ids. */
  private async reserveDistinct(items: ReserveStockDto[]): Promise<ItemOutcome[]> {
    const holds = await this.holdAll(items);
    const outcomes = new Array<ItemOutcome | undefined>(items.length);
    const toRecord: number[] = [];
    const sold: number[] = [];
    holds.forEach((hold, i) => {
      if (hold instanceof Error) outcomes[i] = hold;
      else if (hold.status === 'RELEASED') outcomes[i] = released(items[i].orderId);
      else (hold.status === 'HELD' ? toRecord : sold).push(i);
    });
    const [recorded, existing] = await Promise.all([
      this.recordAll(toRecord.map((i) => items[i])),
      this.findMany(sold.map((i) => items[i].orderId)),
    ]);
    toRecord.forEach((i, k) => (outcomes[i] = recorded[k]));
    for (const i of sold) {
      const row = existing.get(items[i].orderId);
      outcomes[i] = row ? toView(row) : notFound(items[i].orderId);
    }
    return outcomes as ItemOutcome[];
  }

  /** The gate's hold (held, sold or released) or refusal per item: one script per sale, all sent together. */
  private async holdAll(items: ReserveStockDto[]): Promise<(GateHold | Error)[]> {
    const holds = new Array<GateHold | Error>(items.length);
    await Promise.all(
      [...indexesBy(items, (item) => item.eventId)].map(async ([eventId, indexes]) => {
        const answers = await this.holdInSale(
          eventId,
          indexes.map((i) => items[i]),
        ).catch((error: unknown) => indexes.map(() => asError(error)));
        indexes.forEach((i, k) => (holds[i] = answers[k]));
      }),
    );
    return holds;
  }

  private async holdInSale(eventId: string, items: ReserveStockDto[]): Promise<(GateHold | Error)[]> {
    for (;;) {
      const outcomes = await this.gate.reserveMany(eventId, items, this.config.holdTtlMs);
      if (outcomes[0].kind !== 'NOT_LOADED') {
        return outcomes.map((outcome, k) => {
          try {
            return judgeGateOutcome(items[k], outcome);
          } catch (refusal) {
            return asError(refusal);
          }
        });
      }
      if (!(await this.rebuild.ensureLoaded(eventId))) return items.map(() => eventNotFound(eventId));
    }
  }

  /** Records holds the gate granted, in one transaction; each item answered as the single path answers it. */
  private async recordAll(items: ReserveStockDto[]): Promise<ItemOutcome[]> {
    if (!items.length) return [];
    let written: Written;
    try {
      written = await this.db.transaction((tx) => this.write(tx, items));
    } catch (error) {
      if (error instanceof LedgerRefusal) return this.afterRefusal(items, error.eventIds);
      // As the single path: the items answer the failure (503 for a dependency down); their caller releases them.
      return items.map(() => asError(error));
    }
    const existing = await this.findMany(
      items
        .map((item) => item.orderId)
        .filter((id) => !written.inserted.has(id) && !written.lost.has(id) && !written.released.has(id)),
    );
    return Promise.all(
      items.map(async (item) => {
        const row = written.inserted.get(item.orderId);
        if (row) return toView(row);
        if (written.released.has(item.orderId)) return released(item.orderId);
        if (written.lost.has(item.orderId)) return settled(() => this.reservations.reserve(item));
        return settled(() => this.judgeRecorded(item, existing.get(item.orderId)));
      }),
    );
  }

  private async write(tx: EntityManager, items: ReserveStockDto[]): Promise<Written> {
    const sales = [...new Set(items.map((item) => item.eventId))];
    await lockHoldsRecording(
      tx,
      sales,
      items.map((item) => item.orderId),
    );
    const holds = await this.gateHolds(items);
    const written: Written = { inserted: new Map(), lost: new Set(), released: new Set() };
    const writable = items.filter((item, i) => {
      if (!holds[i]) written.lost.add(item.orderId);
      else if (holds[i].status === 'RELEASED') written.released.add(item.orderId);
      return holds[i] && holds[i].status !== 'RELEASED';
    });
    if (!writable.length) return written;
    // Sorted by order id, so that two batches meeting on an order id wait for each other in one order.
    const inserted: RawReservation[] = await tx.query(
      `INSERT INTO reservations (order_id, event_id, user_id, quantity, unit_price, currency, status, expires_at)
       SELECT i.order_id, s.event_id, i.user_id, i.quantity, s.unit_price, s.currency, 'HELD',
         now() + make_interval(secs => $5)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS i(order_id, event_id, user_id, quantity)
       JOIN sales s ON s.event_id = i.event_id
       ORDER BY i.order_id
       ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [
        writable.map((item) => item.orderId),
        writable.map((item) => item.eventId),
        writable.map((item) => item.userId),
        writable.map((item) => item.quantity),
        this.config.holdTtlMs / 1000,
      ],
    );
    for (const raw of inserted) written.inserted.set(raw.order_id, fromRaw(raw));
    await this.guard(tx, [...written.inserted.values()]);
    return written;
  }

  /**
   * The last guard against oversell, once per sale: whatever Redis believed, the ledger never holds more than the
   * stock. Last in the transaction, so that the sales' rows are locked only for the commit.
   */
  private async guard(tx: EntityManager, rows: Reservation[]): Promise<void> {
    const moves = new Map<string, CounterMove>();
    for (const row of rows) {
      const move = moves.get(row.eventId) ?? { eventId: row.eventId, held: 0, sold: 0 };
      move.held += row.quantity;
      moves.set(row.eventId, move);
    }
    const guarded = await moveSaleCounters(tx, [...moves.values()], { guarded: true });
    const refused = [...moves.keys()].filter((eventId) => !guarded.has(eventId));
    if (refused.length) throw new LedgerRefusal(refused);
  }

  /**
   * The gate offered stock the ledger does not have in some sales (Redis wiped or stale). Their gates are rebuilt
   * from the ledger and their items held again one by one (each guarded alone: none refused for another's sake);
   * the other sales' items are recorded again together.
   */
  private async afterRefusal(items: ReserveStockDto[], refused: string[]): Promise<ItemOutcome[]> {
    this.logger.warn(`the gate offered ${refused.join(', ')} stock the ledger does not have: rebuilding`);
    const stale = new Set(refused);
    const others = items.filter((item) => !stale.has(item.eventId));
    const again = items.filter((item) => stale.has(item.eventId));
    const [recorded] = await Promise.all([
      this.recordAll(others),
      Promise.all(refused.map((eventId) => this.rebuild.reload(eventId))),
    ]);
    const outcomes = new Map<ReserveStockDto, ItemOutcome>(others.map((item, k) => [item, recorded[k]]));
    for (const item of again) outcomes.set(item, await settled(() => this.reservations.reserve(item)));
    return items.map((item) => outcomes.get(item)!);
  }

  /** An order id the ledger already had: its reservation if it is this one, as the single path decides. */
  private async judgeRecorded(item: ReserveStockDto, existing: Reservation | undefined) {
    if (!existing) throw notFound(item.orderId);
    await this.reservations.recordedFor(item, existing);
    if (existing.status === 'RELEASED') throw released(item.orderId);
    return toView(existing);
  }

  /** Redis's holds of the items now, one HMGET per sale, all sent together. */
  private async gateHolds(items: ReserveStockDto[]): Promise<(GateHold | null)[]> {
    const holds = new Array<GateHold | null>(items.length);
    await Promise.all(
      [...indexesBy(items, (item) => item.eventId)].map(async ([eventId, indexes]) => {
        const answers = await this.gate.holds(
          eventId,
          indexes.map((i) => items[i].orderId),
        );
        indexes.forEach((i, k) => (holds[i] = answers[k]));
      }),
    );
    return holds;
  }

  private async findMany(orderIds: string[]): Promise<Map<string, Reservation>> {
    if (!orderIds.length) return new Map();
    const rows = await this.db.getRepository(Reservation).find({ where: { orderId: In(orderIds) } });
    return new Map(rows.map((row) => [row.orderId, row]));
  }
}
