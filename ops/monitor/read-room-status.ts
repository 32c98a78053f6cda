import type { Queryable } from '../audit/read-snapshot';
import type { RoomQueueStatus, RoomStatus } from './monitor-snapshot';

/**
 * The rooms that are on, from order's table (`eventIds`: only those), each read as a buyer would, from order's
 * `GET /events/{eventId}/waiting-room` (JSON): the queue is in Redis, behind order's Lua, so order is the one to ask.
 */
export async function readRoomStatus(
  db: Queryable,
  orderSchema: string,
  orderUrl: string,
  eventIds: string[] | null,
  timeoutMs: number,
): Promise<RoomStatus[]> {
  const { rows } = await db.query(
    `SELECT event_id FROM "${orderSchema}".waiting_rooms
     WHERE enabled AND ($1::text[] IS NULL OR event_id = ANY($1)) ORDER BY event_id`,
    [eventIds],
  );
  return Promise.all(
    rows.map(async ({ event_id: eventId }) => ({
      eventId,
      queue: await readQueue(orderUrl, eventId, timeoutMs),
    })),
  );
}

async function readQueue(
  orderUrl: string,
  eventId: string,
  timeoutMs: number,
): Promise<RoomQueueStatus | null> {
  const response = await fetch(`${orderUrl}/events/${encodeURIComponent(eventId)}/waiting-room`, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<RoomQueueStatus> & { code?: string };
  if (response.status === 503 && body.code === 'WAITING_ROOM_CLOSED') return null;
  if (response.status !== 200)
    throw new Error(`order answered ${response.status} ${body.code ?? ''} for the room of ${eventId}`.trim());
  const { admitPerSecond, queued, admitted, longestEstimatedWaitSeconds, stock } = body as RoomQueueStatus;
  return { admitPerSecond, queued, admitted, longestEstimatedWaitSeconds, stock: stock ?? null };
}
