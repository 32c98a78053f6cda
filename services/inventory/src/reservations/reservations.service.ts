import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReservationView, ReserveStockDto } from '@boxoffice/contracts/inventory/reservation.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { InventoryConfig } from '../inventory.config';
import { GateRebuild } from '../stock-gate/gate-rebuild';
import { lockHoldRecording, lockOrderExclusive } from '../ledger/sale-lock';
import { GateHold, ReserveOutcome, StockGate } from '../stock-gate/stock-gate';
import { Reservation } from '../ledger/reservation.entity';

const RECORD_ATTEMPTS = 3;

/**
 * Holds, commits and releases stock. Write order (docs/architecture.md#inventory-how-a-ticket-is-never-sold-twice):
 * Redis may only ever be more cautious than the ledger. A hold is taken in Redis first, then recorded in Postgres;
 * a commit or release is recorded in Postgres first, then applied to Redis. A crash in between leaves a ticket held too long, never sold twice.
 */
@Injectable()
export class ReservationsService {
  private readonly logger = new Logger('reservations');

  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
    private readonly rebuild: GateRebuild,
    private readonly config: InventoryConfig,
  ) {}

  async reserve(request: ReserveStockDto): Promise<ReservationView> {
    for (let attempt = 1; attempt <= RECORD_ATTEMPTS; attempt++) {
      const hold = await this.holdInGate(request);
      if (hold.status === 'COMMITTED') return toView(await this.find(request.orderId));
      if (hold.status === 'RELEASED') throw released(request.orderId);
      const recorded = await this.record(request);
      if (recorded?.status === 'RELEASED') throw released(request.orderId);
      if (recorded) return toView(recorded);
      // Redis lost the hold between the script and the ledger (wiped, rebuilt), or offered stock the ledger does
      // not have (and was rebuilt from it): take it again.
    }
    throw new DomainError('UNAVAILABLE', 'Stock could not be held consistently; retry');
  }

  /**
   * Sells a hold, or releases it if it has expired: one statement decides, on the reservation's row lock. A commit
   * that finds the row locked (another commit waiting on a hot sale row) waits for it and answers what it decided;
   * the expiry never lets a later commit answer HOLD_EXPIRED beside an earlier one that sold the hold. HOLD_EXPIRED
   * is final: the hold is released in the same statement (counters too), then in the gate, as a release is.
   */
  async commit(orderId: string): Promise<ReservationView> {
    // Expiry is in the SET, not the WHERE: a WHERE on it would skip the row without waiting for its lock.
    const moved: RawReservation[] = await this.db.query(
      `WITH moved AS (
         UPDATE reservations SET status = CASE WHEN expires_at > now() THEN 'COMMITTED' ELSE 'RELEASED' END,
           version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'HELD' RETURNING *
       ), counted AS (
         UPDATE sales SET held = sales.held - moved.quantity,
           sold = sales.sold + CASE WHEN moved.status = 'COMMITTED' THEN moved.quantity ELSE 0 END
         FROM moved WHERE sales.event_id = moved.event_id
       )
       SELECT * FROM moved`,
      [orderId],
    );
    if (moved[0]) {
      const decided = fromRaw(moved[0]);
      await this.applyToGate(decided);
      if (decided.status === 'RELEASED') {
        throw new DomainError('HOLD_EXPIRED', `The hold of order ${orderId} has expired`);
      }
      return toView(decided);
    }
    const row = await this.find(orderId);
    if (row.status === 'RELEASED') throw released(orderId);
    if (row.status === 'HELD') return this.commit(orderId); // recorded after the statement looked: decide it now
    await this.applyToGate(row);
    return toView(row);
  }

  /**
   * With `eventId`, an order id the ledger does not know is barred in the gate: a reserve still on its way (its
   * caller timed out and released) then holds nothing instead of keeping stock until expiry.
   */
  async release(orderId: string, eventId?: string): Promise<ReservationView> {
    const releasedRows: RawReservation[] = await this.db.query(
      `WITH moved AS (
         UPDATE reservations SET status = 'RELEASED', version = version + 1, updated_at = now()
         WHERE order_id = $1 AND status = 'HELD' RETURNING *
       ), counted AS (
         UPDATE sales SET held = sales.held - moved.quantity FROM moved WHERE sales.event_id = moved.event_id
       )
       SELECT * FROM moved`,
      [orderId],
    );
    // Only an order id the ledger has no row for needs a lock (its own, to bar it); a repeated release of a released
    // or committed order takes none.
    const row = releasedRows[0] ? fromRaw(releasedRows[0]) : await this.findOrNull(orderId);
    if (!row && eventId && !(await this.releaseUnrecorded(eventId, orderId))) {
      return this.release(orderId); // recorded meanwhile: release it the usual way
    }
    if (!row) throw notFound(orderId);
    if (row.status === 'COMMITTED') {
      throw new DomainError(
        'RESERVATION_COMMITTED',
        `Order ${orderId} is sold; its stock cannot be released`,
      );
    }
    await this.applyToGate(row);
    return toView(row);
  }

  async get(orderId: string): Promise<ReservationView> {
    return toView(await this.find(orderId));
  }

  /**
   * Releases (or bars) an order id in the gate when the ledger has no row for it; false when it has one after
   * all. The order id's exclusive lock keeps its hold from being recorded in between (record() takes it shared);
   * the sale's lock is left alone, so a storm of such releases (callers timing out under load) never stops the
   * sale's other holds. A gate reloaded meanwhile may forget the bar: a late hold then lasts until its expiry.
   */
  async releaseUnrecorded(eventId: string, orderId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.db.transaction(async (tx) => {
        await lockOrderExclusive(tx, orderId);
        const [recorded] = await tx.query('SELECT 1 FROM reservations WHERE order_id = $1', [orderId]);
        return recorded ? 'RECORDED' : this.gate.release(eventId, orderId);
      });
      if (outcome === 'RECORDED') return false;
      // Redis lost the sale: load it (outside the order's lock, which a recording waits on under the sale's lock).
      if (
        outcome === 'NOT_LOADED' &&
        attempt < RECORD_ATTEMPTS &&
        (await this.rebuild.ensureLoaded(eventId))
      ) {
        continue;
      }
      if (outcome === 'RELEASED') this.logger.warn(`released unrecorded hold ${orderId} of ${eventId}`);
      return true;
    }
  }

  /** Makes Redis agree with a ledger row that has already changed (commit, release, expiry). Idempotent. */
  applyToGate(row: Reservation): Promise<void> {
    return this.applyAllToGate([row]);
  }

  /** Makes Redis agree with ledger rows that have already changed: one script per sale and decision, sent together. */
  async applyAllToGate(rows: Reservation[]): Promise<void> {
    const groups = new Map<string, Reservation[]>();
    for (const row of rows) {
      const key = `${row.status === 'COMMITTED' ? 'commit' : 'release'} ${row.eventId}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    await Promise.all([...groups.values()].map((group) => this.applySaleToGate(group)));
  }

  /** Rows of one sale and one decision. */
  private async applySaleToGate(rows: Reservation[]): Promise<void> {
    const { eventId } = rows[0];
    const orderIds = rows.map((row) => row.orderId);
    const apply = () =>
      this.gate.settleMany(rows[0].status === 'COMMITTED' ? 'commit' : 'release', eventId, orderIds);
    let outcomes = await apply();
    if (outcomes[0] === 'NOT_LOADED') {
      // A rebuild already running may have read the ledger before this change: apply it on what it loaded.
      await this.rebuild.ensureLoaded(eventId);
      outcomes = await apply();
    }
    const differing = rows.find((row, i) => outcomes[i] !== 'NOT_LOADED' && outcomes[i] !== row.status);
    if (differing) {
      this.logger.warn(
        `gate had ${outcomes[rows.indexOf(differing)]} for ${differing.orderId}, ledger ${differing.status}: rebuilding ${eventId}`,
      );
      await this.rebuild.reload(eventId);
    }
  }

  private async holdInGate(request: ReserveStockDto): Promise<GateHold> {
    for (;;) {
      const outcome = await this.gate.reserve(
        request.eventId,
        request.orderId,
        request.userId,
        request.quantity,
        this.config.holdTtlMs,
      );
      if (outcome.kind !== 'NOT_LOADED') return judgeGateOutcome(request, outcome);
      if (!(await this.rebuild.ensureLoaded(request.eventId))) throw eventNotFound(request.eventId);
    }
  }

  /** Writes the ledger row while Redis still has the hold; null when Redis lost it meanwhile. */
  private async record(request: ReserveStockDto): Promise<Reservation | null> {
    const outcome = await this.db
      .transaction(async (tx) => {
        await lockHoldRecording(tx, request.eventId, request.orderId);
        const stillHeld = await this.gate.hold(request.eventId, request.orderId);
        if (!stillHeld) return null;
        if (stillHeld.status === 'RELEASED') throw released(request.orderId);
        const inserted: RawReservation[] = await tx.query(
          // The ledger's expiry is on Postgres's clock, as are the commit and the sweep that compare with it.
          `INSERT INTO reservations (order_id, event_id, user_id, quantity, unit_price, currency, status, expires_at)
         SELECT $1, event_id, $2, $3, unit_price, currency, 'HELD', now() + make_interval(secs => $4)
         FROM sales WHERE event_id = $5
         ON CONFLICT (order_id) DO NOTHING RETURNING *`,
          [request.orderId, request.userId, request.quantity, this.config.holdTtlMs / 1000, request.eventId],
        );
        if (!inserted[0]) return 'ALREADY_RECORDED';
        // The last guard against oversell: whatever Redis believed, the ledger never holds more than the stock.
        // Last in the transaction, so that the sale's row is locked only for the commit.
        const [counted] = (await tx.query(
          `UPDATE sales SET held = held + $2 WHERE event_id = $1 AND held + sold + $2 <= total_stock RETURNING event_id`,
          [request.eventId, request.quantity],
        )) as [unknown[], number];
        if (!counted.length) throw new LedgerRefusal();
        return fromRaw(inserted[0]);
      })
      .catch((error: unknown) => {
        if (!(error instanceof LedgerRefusal)) throw error;
        return 'REFUSED_BY_LEDGER' as const;
      });
    if (outcome === 'REFUSED_BY_LEDGER') {
      this.logger.warn(`the gate offered ${request.eventId} stock the ledger does not have: rebuilding it`);
      await this.rebuild.reload(request.eventId);
      return null;
    }
    if (outcome !== 'ALREADY_RECORDED') return outcome;
    return this.recordedFor(request, await this.find(request.orderId));
  }

  /**
   * An order id the ledger already had: its reservation if the request is that one. Otherwise the order id belongs
   * to another reservation: what this call took in the sale's gate is given back, and the answer is REUSED.
   */
  async recordedFor(request: ReserveStockDto, existing: Reservation): Promise<Reservation> {
    if (
      existing.eventId !== request.eventId ||
      existing.userId !== request.userId ||
      existing.quantity !== request.quantity
    ) {
      await this.gate.release(request.eventId, request.orderId);
      throw reused(request.orderId);
    }
    return existing;
  }

  private async find(orderId: string): Promise<Reservation> {
    const row = await this.findOrNull(orderId);
    if (!row) throw notFound(orderId);
    return row;
  }

  private findOrNull(orderId: string): Promise<Reservation | null> {
    return this.db.getRepository(Reservation).findOne({ where: { orderId } });
  }
}

/** The ledger refused a hold the gate granted: the transaction is rolled back, the gate rebuilt. */
class LedgerRefusal extends Error {}

export interface RawReservation {
  order_id: string;
  event_id: string;
  user_id: string;
  quantity: number;
  unit_price: number;
  currency: string;
  status: Reservation['status'];
  expires_at: Date;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export function fromRaw(raw: RawReservation): Reservation {
  return Object.assign(new Reservation(), {
    orderId: raw.order_id,
    eventId: raw.event_id,
    userId: raw.user_id,
    quantity: raw.quantity,
    unitPrice: raw.unit_price,
    currency: raw.currency,
    status: raw.status,
    expiresAt: raw.expires_at,
    version: raw.version,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  });
}

export function toView(row: Reservation): ReservationView {
  return {
    orderId: row.orderId,
    eventId: row.eventId,
    userId: row.userId,
    quantity: row.quantity,
    unitPrice: row.unitPrice,
    currency: row.currency,
    status: row.status,
    expiresAt: row.expiresAt.toISOString(),
  };
}

/** What the gate's answer for a loaded sale means for the request: its hold (held, sold or released), or a refusal. */
export function judgeGateOutcome(request: ReserveStockDto, outcome: ReserveOutcome): GateHold {
  switch (outcome.kind) {
    case 'NOT_LOADED':
      throw new Error(`judged ${request.orderId} before its sale was loaded`); // a bug of the caller
    case 'SOLD_OUT':
      throw new DomainError('SOLD_OUT', `Not enough tickets left for ${request.eventId}`);
    case 'PURCHASE_LIMIT_EXCEEDED':
      throw new DomainError(
        'PURCHASE_LIMIT_EXCEEDED',
        `User ${request.userId} would exceed the per-user limit`,
      );
    case 'EXISTS':
      if (outcome.hold.status === 'RELEASED') return outcome.hold; // released, or barred before it came
      if (outcome.hold.userId !== request.userId || outcome.hold.quantity !== request.quantity)
        throw reused(request.orderId);
      return outcome.hold;
    case 'HELD':
      return outcome.hold;
  }
}

export function notFound(orderId: string): DomainError {
  return new DomainError('RESERVATION_NOT_FOUND', `No reservation for order ${orderId}`);
}

export function eventNotFound(eventId: string): DomainError {
  return new DomainError('EVENT_NOT_FOUND', `No sale for event ${eventId}`);
}

export function released(orderId: string): DomainError {
  return new DomainError('RESERVATION_RELEASED', `The hold of order ${orderId} was released`);
}

export function reused(orderId: string): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_REUSED', `Order ${orderId} was reserved with different details`);
}
