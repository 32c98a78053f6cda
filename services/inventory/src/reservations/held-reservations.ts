import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  HeldReservation,
  HeldReservationsDto,
} from '@boxoffice/contracts/inventory/held-reservations.dto';
import { InventoryConfig } from '../inventory.config';

/**
 * The holds still HELD taken before a time, for order's hold reconciliation (docs/contract.md §3): `heldForSeconds`
 * before now on this Postgres's clock, the one `created_at` is stamped on (version 2), or `heldBefore` (version 1,
 * the caller's clock). Read on the partial index the expiry sweep uses (expires_at WHERE status = 'HELD'): a hold
 * taken before that time expires before it plus the TTL; created_at then keeps out one taken later under a shorter
 * TTL.
 */
@Injectable()
export class HeldReservations {
  constructor(
    private readonly db: DataSource,
    private readonly config: InventoryConfig,
  ) {}

  async list({
    version,
    heldForSeconds,
    heldBefore,
    limit,
    after,
  }: HeldReservationsDto): Promise<HeldReservation[]> {
    const before = version === 2 ? null : heldBefore;
    const rows: Array<{ order_id: string; event_id: string; created_at: Date }> = await this.db.query(
      `WITH cursor AS (SELECT expires_at, order_id FROM reservations WHERE order_id = $4)
       SELECT r.order_id, r.event_id, r.created_at FROM reservations r
       WHERE r.status = 'HELD'
         AND r.expires_at < COALESCE($1::timestamptz, now() - make_interval(secs => $5)) + make_interval(secs => $2)
         AND r.created_at < COALESCE($1::timestamptz, now() - make_interval(secs => $5))
         AND ($4::varchar IS NULL OR (r.expires_at, r.order_id) > (SELECT expires_at, order_id FROM cursor))
         -- The same bound once more, on the column alone, so that the index scan starts at the cursor.
         AND r.expires_at >= COALESCE((SELECT expires_at FROM cursor), '-infinity')
       ORDER BY r.expires_at, r.order_id LIMIT $3`,
      [before ?? null, this.config.holdTtlMs / 1000, limit, after ?? null, heldForSeconds ?? 0],
    );
    return rows.map((row) => ({
      orderId: row.order_id,
      eventId: row.event_id,
      heldAt: row.created_at.toISOString(),
    }));
  }
}
