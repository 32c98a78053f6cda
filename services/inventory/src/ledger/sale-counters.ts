import type { EntityManager } from 'typeorm';

/** How much one sale's `held` and `sold` counters move. */
export interface CounterMove {
  eventId: string;
  held: number;
  sold: number;
}

/**
 * Moves the sales' counters in the caller's transaction; with `guarded`, a sale whose held and sold would pass its
 * stock is left as it was. Answers the sales moved.
 *
 * Several sales are locked in event id order first, in a statement of their own, so that two writers never wait in
 * a circle. Not in the UPDATE's own statement: there the UPDATE reads the row as the statement's snapshot had it,
 * older than the version the lock just took, and Postgres found deadlocks between two such statements and a third
 * writer queued on the row (each one a 1 s stall of the whole sale: the deadlock timeout).
 */
export async function moveSaleCounters(
  tx: EntityManager,
  moves: CounterMove[],
  { guarded }: { guarded: boolean },
): Promise<Set<string>> {
  if (!moves.length) return new Set();
  const eventIds = moves.map((move) => move.eventId);
  if (moves.length > 1) {
    await tx.query(
      'SELECT event_id FROM sales WHERE event_id = ANY($1) ORDER BY event_id FOR NO KEY UPDATE',
      [eventIds],
    );
  }
  const [moved] = (await tx.query(
    `UPDATE sales SET held = sales.held + m.held, sold = sales.sold + m.sold
     FROM unnest($1::text[], $2::int[], $3::int[]) AS m(event_id, held, sold)
     WHERE sales.event_id = m.event_id
       AND (NOT $4::boolean OR sales.held + sales.sold + m.held + m.sold <= sales.total_stock)
     RETURNING sales.event_id`,
    [eventIds, moves.map((move) => move.held), moves.map((move) => move.sold), guarded],
  )) as [{ event_id: string }[], number];
  return new Set(moved.map((row) => row.event_id));
}

/** The counter moves of reservations leaving HELD, per sale: each one's quantity off `held`, onto `sold` if sold. */
export function movesOutOfHeld(rows: { eventId: string; quantity: number; status: string }[]): CounterMove[] {
  const moves = new Map<string, CounterMove>();
  for (const row of rows) {
    const move = moves.get(row.eventId) ?? { eventId: row.eventId, held: 0, sold: 0 };
    move.held -= row.quantity;
    if (row.status === 'COMMITTED') move.sold += row.quantity;
    moves.set(row.eventId, move);
  }
  return [...moves.values()];
}
