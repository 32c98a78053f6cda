import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DomainError } from '@boxoffice/errors/domain-error';
import type { ReleaseBatchItem } from '@boxoffice/contracts/inventory/reservation-batch.dto';
import { Reservation } from '../ledger/reservation.entity';
import { movesOutOfHeld, moveSaleCounters } from '../ledger/sale-counters';
import { asError, inRounds, ItemOutcome, settled } from './batch-items';
import {
  fromRaw,
  notFound,
  RawReservation,
  released,
  ReservationsService,
  toView,
} from './reservations.service';

/**
 * Moves the HELD rows among `$1` (order ids) to the status `newStatus` computes, locked in order id order so that
 * two batches meeting on an order never wait for each other in a circle. The sales' counters follow in the same
 * transaction (`moveSaleCounters`).
 */
function moveStatement(newStatus: string): string {
  return `UPDATE reservations SET status = ${newStatus}, version = version + 1, updated_at = now()
     WHERE order_id IN (
       SELECT order_id FROM reservations WHERE order_id = ANY($1) AND status = 'HELD' ORDER BY order_id FOR NO KEY UPDATE
     ) AND status = 'HELD'
     RETURNING *`;
}

// Expiry is in the SET, not the WHERE, as in the single commit: a WHERE on it would skip a row without its lock.
const COMMIT = moveStatement(`CASE WHEN expires_at > now() THEN 'COMMITTED' ELSE 'RELEASED' END`);
const RELEASE = moveStatement(`'RELEASED'`);

/**
 * `POST /reservations/commits` and `/releases`: the single commit and release for many orders, each answered as it
 * alone would be; the HELD ones decided in one statement, the gate told in one script per sale, sent together.
 */
@Injectable()
export class SettleBatch {
  constructor(
    private readonly db: DataSource,
    private readonly reservations: ReservationsService,
  ) {}

  commit(orderIds: string[]): Promise<ItemOutcome[]> {
    return inRounds(
      orderIds,
      (id) => id,
      (round) => this.commitDistinct(round),
    );
  }

  release(items: ReleaseBatchItem[]): Promise<ItemOutcome[]> {
    return inRounds(
      items,
      (item) => item.orderId,
      (round) => this.releaseDistinct(round),
    );
  }

  private async commitDistinct(orderIds: string[]): Promise<ItemOutcome[]> {
    return this.settle(COMMIT, orderIds, async (orderId, row) => {
      if (!row) return notFound(orderId);
      if (row.status === 'RELEASED') return released(orderId);
      // Recorded after the statement looked: decide it now, the single way.
      if (row.status === 'HELD') return settled(() => this.reservations.commit(orderId));
      return row; // sold before: told to the gate again, as the single commit does
    });
  }

  private async releaseDistinct(items: ReleaseBatchItem[]): Promise<ItemOutcome[]> {
    const eventIds = new Map(items.map((item) => [item.orderId, item.eventId]));
    return this.settle(
      RELEASE,
      items.map((item) => item.orderId),
      async (orderId, row) => {
        if (row?.status === 'COMMITTED') {
          return new DomainError(
            'RESERVATION_COMMITTED',
            `Order ${orderId} is sold; its stock cannot be released`,
          );
        }
        if (!row && !eventIds.get(orderId)) return notFound(orderId);
        // Not recorded (to bar in its sale), or recorded after the statement looked: the single way.
        if (!row || row.status === 'HELD') {
          return settled(() => this.reservations.release(orderId, eventIds.get(orderId)));
        }
        return row; // released before: told to the gate again, as the single release does
      },
    );
  }

  /**
   * Runs the statement on the order ids; a row it moved is the answer, and any other order id is judged on its row
   * as it is now (`other`). The rows decided here (moved, or final before) are then applied to the gate together,
   * as the single calls do; a commit that found the hold expired answers HOLD_EXPIRED once its release is applied.
   */
  private async settle(
    statement: string,
    orderIds: string[],
    other: (orderId: string, row: Reservation | undefined) => Promise<Reservation | ItemOutcome>,
  ): Promise<ItemOutcome[]> {
    let moved: Map<string, Reservation>;
    try {
      const rows = await this.db.transaction(async (tx) => {
        const [raw] = (await tx.query(statement, [orderIds])) as [RawReservation[], number];
        const decided = raw.map(fromRaw);
        await moveSaleCounters(tx, movesOutOfHeld(decided), { guarded: false });
        return decided;
      });
      moved = new Map(rows.map((row) => [row.orderId, row]));
    } catch (error) {
      return orderIds.map(() => asError(error));
    }
    const rest = orderIds.filter((id) => !moved.has(id));
    const now = rest.length
      ? new Map(
          (await this.db.getRepository(Reservation).find({ where: { orderId: In(rest) } })).map((row) => [
            row.orderId,
            row,
          ]),
        )
      : new Map<string, Reservation>();
    const decided = await Promise.all(orderIds.map(async (id) => moved.get(id) ?? other(id, now.get(id))));
    const rows = decided.filter((answer): answer is Reservation => answer instanceof Reservation);
    try {
      await this.reservations.applyAllToGate(rows);
    } catch (error) {
      return decided.map((answer) => (answer instanceof Reservation ? asError(error) : answer));
    }
    return decided.map((answer, i) => {
      if (!(answer instanceof Reservation)) return answer;
      if (statement === COMMIT && moved.has(orderIds[i]) && answer.status === 'RELEASED') {
        return new DomainError('HOLD_EXPIRED', `The hold of order ${orderIds[i]} has expired`);
      }
      return toView(answer);
    });
  }
}
