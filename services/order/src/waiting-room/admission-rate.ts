import type { RoomCounters } from './room-queue';

/**
 * The auto waiting rooms' rate (docs/contract.md §2, _The waiting room_; docs/decisions.md, "Auto admission"), pure:
 * each second, from what the saga was measured to do, the next total rate of every auto room, then each room's share.
 *
 * Additive increase, multiplicative decrease on a delay signal, as TCP's congestion control and CoDel do: the saga's
 * queueing delay is the age of its `lateOrders`-th oldest open order (a few strays, stuck in a payment outage of their
 * own, do not count).
 * - Late (that age at ORDER_SAGA_BACKLOG_AFTER_SECONDS or more: `lateOrders` orders late): cut to 70%, or lower, to
 *   just below what the saga was measured to end a second (in admissions: divided by the share of admitted buyers
 *   who order), then hold the rate while the backlog drains.
 * - Busy (that age past half of it, or `lateOrders` more orders open than a window ago: piling up): stay.
 * - Keeping up: rise by `stepPerSecond`, only while the rate was used (admissions over the window at least USED of
 *   the rate offered, as RFC 7661 validates a congestion window) and some auto room has a queue: a rate nobody uses
 *   proves nothing.
 * Once the saga has taken orders over a window, the total never passes CAP_OVER_CAPACITY times what it ended (in
 * admissions): an idle room cannot bank a rate that a spike would then use at once.
 */

/** What the saga was measured to do, every sale (saga-pace.ts). */
export interface SagaReading {
  /** Orders that left CREATED (confirmed or cancelled) a second, over the last window. */
  endedPerSecond: number;
  /** Orders taken a second over the same window; null until a window has been seen. */
  createdPerSecond: number | null;
  /** How many more orders are open than a window ago (taken minus ended); null until a window has been seen. */
  openGrowth: number | null;
  /** How long the `lateOrders`-th oldest open order has waited (s); 0 with fewer open. */
  lagSeconds: number;
}

/** An auto room as Redis has it now. */
export interface AutoRoomReading {
  eventId: string;
  /** Its rate now. */
  rate: number;
  /**
   * Entries waiting with a position, not yet served: what the rate serves. A pre-queue waits for its end whatever the
   * rate, so it does not count.
   */
  queued: number;
  /** Positions served a second over the last window; null until a window has been seen. */
  admittedPerSecond: number | null;
  /** The rate it was given a second, on average over the same window; null until a window has been seen. */
  offeredPerSecond: number | null;
}

export interface AutoRateBounds {
  /** Per room. */
  minPerSecond: number;
  maxPerSecond: number;
  /** The whole of the auto rooms' rate rises by this a second. */
  stepPerSecond: number;
  /** WAITING_ROOM_AUTO_LATE_ORDERS: this many late cut the rate; this many more open than a window ago stop its rise. */
  lateOrders: number;
  /** ORDER_SAGA_BACKLOG_AFTER_SECONDS (at least 1): an order this old is late. */
  lateSeconds: number;
}

/**
 * The controller's memory between seconds: the total rate of the auto rooms (the sum of the rates they have: what
 * was applied, a room that joins with its own rate), and the seconds left to hold it.
 */
export interface AutoRateState {
  total: number;
  holdSeconds: number;
}

export type AutoVerdict = 'rise' | 'stay' | 'idle' | 'hold' | 'cut';

/** A cut keeps 70% of the rate, as CUBIC does: deep enough to drain, shallow enough to refill soon. */
export const CUT_TO = 0.7;
/** A cut to the measured capacity aims just below it, so that the late backlog drains. */
const BELOW_CAPACITY = 0.9;
/** Below this share of admitted buyers who order, the measure is taken as noise. */
const MIN_ORDERING_SHARE = 0.1;
/** The rate was used when admissions reached this share of it (RFC 7661 takes a cwnd used from a high share of it). */
export const USED = 0.9;
/** The total at most this many times the saga's measured capacity: room to probe, never a bank for a spike. */
export const CAP_OVER_CAPACITY = 2;

/**
 * The state a second starts from: the rates the rooms have now (what was applied last second, a room handed to auto
 * with the rate it had, or what another instance drove), and the hold left.
 */
export function startingState(rooms: AutoRoomReading[], holdSeconds = 0): AutoRateState {
  return { total: rooms.reduce((sum, room) => sum + room.rate, 0), holdSeconds };
}

/** The next second's rate of each auto room, and the state it leaves: its total the sum of those rates. */
export function nextRates(
  state: AutoRateState,
  saga: SagaReading,
  rooms: AutoRoomReading[],
  bounds: AutoRateBounds,
): { state: AutoRateState; verdict: AutoVerdict; rates: Map<string, number> } {
  const next = nextRate(state, saga, rooms, bounds);
  const rates = shareOut(next.state.total, rooms, bounds);
  const total = [...rates.values()].reduce((sum, rate) => sum + rate, 0);
  return { state: { ...next.state, total }, verdict: next.verdict, rates };
}

/** The next second's total rate of the auto rooms, and why. */
export function nextRate(
  state: AutoRateState,
  saga: SagaReading,
  rooms: AutoRoomReading[],
  bounds: AutoRateBounds,
): { state: AutoRateState; verdict: AutoVerdict } {
  const cap = capacityCap(saga, rooms);
  const bounded = (total: number) =>
    Math.round(
      Math.min(
        bounds.maxPerSecond * rooms.length,
        Math.max(bounds.minPerSecond * rooms.length, Math.min(total, cap)),
      ),
    );
  const late = saga.lagSeconds >= bounds.lateSeconds;
  if (state.holdSeconds > 0)
    return { state: { total: bounded(state.total), holdSeconds: state.holdSeconds - 1 }, verdict: 'hold' };
  if (late) {
    const capacity = (saga.endedPerSecond / orderingShare(saga, rooms)) * BELOW_CAPACITY;
    return {
      state: {
        total: bounded(Math.min(state.total * CUT_TO, capacity)),
        // Orders late now stay late until they end: long enough for them to, before judging again.
        holdSeconds: 2 * bounds.lateSeconds,
      },
      verdict: 'cut',
    };
  }
  // Busy: orders wait long already, or pile up (taken faster than the saga ends them: admitted buyers are still
  // coming to order, and they will be late). Rising now would only overshoot further.
  const piling = saga.openGrowth !== null && saga.openGrowth >= bounds.lateOrders;
  if (piling || saga.lagSeconds >= bounds.lateSeconds / 2)
    return { state: { ...state, total: bounded(state.total) }, verdict: 'stay' };
  if (!rooms.some((room) => room.queued > 0) || !used(rooms))
    return { state: { ...state, total: bounded(state.total) }, verdict: 'idle' };
  return { state: { total: bounded(state.total + bounds.stepPerSecond), holdSeconds: 0 }, verdict: 'rise' };
}

/** True when the auto rooms admitted at least USED of the rate they were offered over the window (measured). */
export function used(rooms: AutoRoomReading[]): boolean {
  let admitted = 0;
  let offered = 0;
  for (const room of rooms) {
    if (room.admittedPerSecond === null || room.offeredPerSecond === null) return false;
    admitted += room.admittedPerSecond;
    offered += room.offeredPerSecond;
  }
  return offered > 0 && admitted >= USED * offered;
}

/**
 * The most the total may be: CAP_OVER_CAPACITY times what the saga ended a second, in admissions; no bound until the
 * saga has taken orders over a window (nothing to measure it by). A saga that ends nothing while it takes orders
 * (payment down) holds the rate at its minimum.
 */
export function capacityCap(saga: SagaReading, rooms: AutoRoomReading[]): number {
  if (saga.createdPerSecond === null || saga.createdPerSecond <= 0) return Infinity;
  return (CAP_OVER_CAPACITY * saga.endedPerSecond) / orderingShare(saga, rooms);
}

/**
 * The share of admitted buyers who order: orders taken a second over positions served a second (every sale's
 * orders over the auto rooms' admissions: an over-estimate, hence a cautious rate, when other sales sell too). 1,
 * every admitted buyer ordering, until both are measured.
 */
export function orderingShare(saga: SagaReading, rooms: AutoRoomReading[]): number {
  const admitted = rooms.reduce((sum, room) => sum + (room.admittedPerSecond ?? 0), 0);
  if (saga.createdPerSecond === null || admitted < 1) return 1;
  return Math.min(1, Math.max(MIN_ORDERING_SHARE, saga.createdPerSecond / admitted));
}

/**
 * Each room's rate: its minimum, then the rest of the total in proportion to the entries each has waiting (equally
 * when none has), each at most the maximum; whole rates, the remainder to the longest queue, so that the rates add up
 * to the total (less what the maximum cut). The saga's capacity is one, whichever sale's orders use it.
 */
export function shareOut(
  total: number,
  rooms: AutoRoomReading[],
  bounds: AutoRateBounds,
): Map<string, number> {
  const queued = rooms.reduce((sum, room) => sum + room.queued, 0);
  const rest = Math.max(0, total - bounds.minPerSecond * rooms.length);
  const rates = rooms.map((room) => {
    const share = queued > 0 ? room.queued / queued : 1 / rooms.length;
    return bounds.minPerSecond + Math.floor(rest * share);
  });
  const longest = rooms.reduce((best, room, i) => (room.queued > rooms[best].queued ? i : best), 0);
  rates[longest] += Math.max(0, total - rates.reduce((sum, rate) => sum + rate, 0));
  return new Map(rooms.map((room, i) => [room.eventId, Math.min(bounds.maxPerSecond, rates[i])]));
}

/**
 * A room's reading from its counters now, where its counter stood a window ago and the rate it was given on average
 * since (`then`; null before a window is seen, its fields undefined for a room that was not auto all along).
 */
export function readingOf(
  eventId: string,
  room: RoomCounters,
  then: { atMs: number; serving: number | undefined; offeredPerSecond: number | undefined } | null,
  nowMs: number,
): AutoRoomReading {
  const measured = then && then.serving !== undefined && then.offeredPerSecond !== undefined;
  return {
    eventId,
    rate: room.rate,
    queued: room.next - room.serving,
    admittedPerSecond: measured ? ((room.serving - then.serving!) * 1000) / (nowMs - then.atMs) : null,
    offeredPerSecond: measured ? then.offeredPerSecond! : null,
  };
}
