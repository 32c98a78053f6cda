import type { MonitorSnapshot } from './monitor-snapshot';

/**
 * Per waiting room, buyers admitted per second between `previous` and `current` (how far its serving counter moved).
 * None for a room either snapshot did not read open, or whose counter went back (reopened: a new queue).
 */
export function roomRates(
  previous: MonitorSnapshot | undefined,
  current: MonitorSnapshot,
): Map<string, number> {
  const rates = new Map<string, number>();
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!previous || seconds <= 0) return rates;
  const before = new Map((previous.rooms ?? []).map((room) => [room.eventId, room.queue]));
  for (const { eventId, queue } of current.rooms ?? []) {
    const then = before.get(eventId);
    if (!then || !queue || queue.admitted < then.admitted) continue;
    rates.set(eventId, (queue.admitted - then.admitted) / seconds);
  }
  return rates;
}
