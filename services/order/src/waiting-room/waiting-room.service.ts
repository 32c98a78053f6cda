import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type {
  AdmittedEntryView,
  ExpiredEntryView,
  SoldOutEntryView,
  WaitingEntryView,
  WaitingRoomSettingsBody,
  WaitingRoomStatus,
  WaitingRoomView,
} from '@boxoffice/contracts/order/waiting-room.dto';
import { DomainError, WaitingRoomClosed, WaitingRoomRefusal } from '@boxoffice/errors/domain-error';
import { OrderConfig } from '../order.config';
import { AdmissionTokens } from './admission-tokens';
import { RoomMetrics } from './room-metrics';
import { RoomSettings } from './room-settings';
import { RoomStock } from './room-stock';
import { queuedIn, roomClosed, RoomQueue, type RoomCounters, type RoomEntry } from './room-queue';
import type { WaitingRoom } from './waiting-room.entity';

/** The longest a waiting buyer is told to wait before asking again: a long queue still hears of its progress. */
const MAX_POLL_SECONDS = 30;
/** A closed room is said at most this often per sale: every buyer of a big queue meets it. */
const CLOSED_WARN_EVERY_MS = 10_000;

/** An admission token taken by POST /orders: given back if the order is refused with nothing kept (no key only). */
export interface TakenAdmission {
  giveBack(): Promise<void>;
}

/**
 * Whether POST /orders was refused a genuine admission that the request's own Idempotency-Key may have bought with:
 * a retry under a key whose order was kept is then answered that order (docs/contract.md §2, _Admission tokens_).
 * A token spent under another key (the same key passes: admission.lua's 'again'), forged or missing never costs
 * the key read.
 */
export function keyMayAnswer(error: unknown): error is WaitingRoomRefusal | WaitingRoomClosed {
  return (error instanceof WaitingRoomRefusal || error instanceof WaitingRoomClosed) && error.keyMayAnswer;
}

/**
 * A sale's waiting room (docs/contract.md §2, _The waiting room_): its settings (Postgres, RoomSettings), its queue
 * (Redis, RoomQueue), the admission tokens it signs and the check POST /orders makes while it is on.
 */
@Injectable()
export class WaitingRoomService {
  private readonly logger = new Logger('waiting-room');
  private readonly tokens: AdmissionTokens;
  private readonly closedSaidAt = new Map<string, number>();

  constructor(
    private readonly settings: RoomSettings,
    private readonly queue: RoomQueue,
    private readonly config: OrderConfig,
    private readonly metrics: RoomMetrics,
    private readonly stock: RoomStock,
  ) {
    this.tokens = new AdmissionTokens(config.waitingRoom.admissionSecret);
  }

  async set(eventId: string, body: WaitingRoomSettingsBody): Promise<WaitingRoomView> {
    const { admissionSeconds } = this.config.waitingRoom;
    const { admitPerSecond } = body;
    const auto = admitPerSecond === 'auto';
    // An auto room opens at the lowest rate; the controller (auto-rooms.ts) takes it from there within a second.
    const rate = auto ? this.config.waitingRoom.auto.minPerSecond : admitPerSecond;
    const preQueueUntil = body.preQueueUntil ? new Date(body.preQueueUntil) : null;
    // The queue first: a room Postgres says is on always has one (or had, until Redis lost it: closed).
    if (body.enabled)
      await this.queue.open(eventId, rate, preQueueUntil, randomUUID(), { auto, admissionSeconds });
    const room = await this.settings.save({
      eventId,
      enabled: body.enabled,
      admitPerSecond: rate,
      admitAuto: auto,
      preQueueUntil,
    });
    // Then paused, on Redis's clock: an instance that still thinks it on (ROOMS_REFRESH_MS) moves nothing, and the
    // time it is off is owed nothing when it is opened again. A queue gone (null) needs no pausing.
    if (!body.enabled) await this.queue.pause(eventId, admissionSeconds);
    // Its stock read at once: a sold-out sale's room turned on never opens its door for the second until the next.
    else await this.stock.readOne(eventId);
    return viewOf(room);
  }

  async status(eventId: string): Promise<WaitingRoomStatus> {
    const room = this.settings.of(eventId);
    if (!room) throw notFound(eventId);
    // A room off shows its counters as they stand: its counter does not move while it is off.
    const counters = await this.queue.status(eventId, room.enabled);
    if (!counters && room.enabled) throw this.closed(eventId);
    const queued = counters ? queuedIn(counters) : 0;
    return {
      enabled: room.enabled,
      mode: room.admitAuto ? 'auto' : 'fixed',
      admitPerSecond: counters?.rate ?? room.admitPerSecond,
      queued,
      admitted: counters?.serving ?? 0,
      longestEstimatedWaitSeconds: counters ? untilShuffle(counters) + Math.ceil(queued / counters.rate) : 0,
      preQueueUntil: room.preQueueUntil?.toISOString() ?? null,
      stock: counters?.stock ?? 'unknown',
    };
  }

  /** The buyer's entry: made now (created) or the one they have. */
  async enter(eventId: string, buyer: string): Promise<{ created: boolean; entry: WaitingEntryView }> {
    this.openRoom(eventId);
    const found = await this.queue.enter(
      eventId,
      buyer,
      randomUUID(),
      this.config.waitingRoom.admissionSeconds,
    );
    if (!found) throw this.closed(eventId);
    if (found === 'sold_out') throw soldOut(eventId);
    return { created: found.entry.created, entry: waiting(found.room, found.entry) };
  }

  /** The entry for its buyer (null: anyone, without buyer tokens): waiting, or admitted with its token. */
  async look(
    eventId: string,
    entryId: string,
    buyer: string | null,
  ): Promise<WaitingEntryView | AdmittedEntryView | ExpiredEntryView | SoldOutEntryView> {
    this.openRoom(eventId);
    const found = await this.queue.look(
      eventId,
      entryId,
      buyer ?? '',
      randomUUID(),
      this.config.waitingRoom.admissionSeconds,
    );
    if (found === null) throw this.closed(eventId);
    if (found === 'none') throw new DomainError('ENTRY_NOT_FOUND', `No entry ${entryId} of this buyer`);
    const { room, entry } = found;
    // Served longer ago than an admission lasts (looked at or not): no token, the buyer queues again.
    if (entry.expMs > 0 && entry.expMs <= room.nowMs)
      return { entryId, admitted: false, expired: true, expiresAt: new Date(entry.expMs).toISOString() };
    // Its turn not come (an entry served has its jti by now) while the sale is sold out: there will be none.
    if (!entry.jti)
      return room.stock === 'sold_out' ? { entryId, admitted: false, soldOut: true } : waiting(room, entry);
    // Counted where Redis gave the jti, once per entry: a look again (here or on another instance) is not.
    if (found.issuedNow)
      this.metrics.issued(eventId, found.createdMs > 0 ? (room.nowMs - found.createdMs) / 1000 : null);
    const admissionToken = await this.tokens.sign({
      buyer: found.buyer,
      eventId,
      entryId,
      jti: entry.jti,
      epoch: room.epoch,
      expMs: entry.expMs,
    });
    return { entryId, admitted: true, admissionToken, expiresAt: new Date(entry.expMs).toISOString() };
  }

  /**
   * POST /orders' check while the sale's room is on (docs/contract.md §2, _Admission tokens_): null when the room is
   * off; otherwise the token, verified and spent now, or 429 WAITING_ROOM / 503 WAITING_ROOM_CLOSED. `idempotencyKey`:
   * the order's, under which a retry of the same request passes with the token it spent.
   */
  async admit(
    order: { eventId: string; userId: string },
    header: string | undefined,
    idempotencyKey: string | undefined,
  ): Promise<TakenAdmission | null> {
    const { eventId } = order;
    if (!this.settings.isOn(eventId)) return null;
    const queue = `/events/${eventId}/waiting-room/entries`;
    const refuse = (why: string, keyMayAnswer = false) =>
      new WaitingRoomRefusal(
        queue,
        `The sale ${eventId} has a waiting room: ${why}. Queue at ${queue}`,
        keyMayAnswer,
      );
    if (header === undefined) throw refuse('POST /orders needs its Admission-Token');
    const admission = await this.tokens.verify(header);
    if (!admission) throw refuse('the Admission-Token is not valid (forged or malformed)');
    if (admission.eventId !== eventId) throw refuse('the Admission-Token is for another sale');
    if (admission.buyer !== order.userId) throw refuse('the Admission-Token is another buyer’s');
    const spender = idempotencyKey === undefined ? '-' : `k:${idempotencyKey}`;
    const outcome = await this.queue.spend(eventId, admission.jti, admission.epoch, spender, admission.expMs);
    if (outcome === 'closed') throw this.closed(eventId, true);
    if (outcome === 'stale') throw refuse('the Admission-Token is from before the queue was reopened', true);
    // Spent by another key or none (the same key is 'again'): under this key nothing was bought with it.
    if (outcome === 'spent') throw refuse('the Admission-Token was spent already');
    if (outcome === 'expired') throw refuse('the Admission-Token has expired', true);
    // Spent under an Idempotency-Key, the token is the key's for good: a retry with the key passes with it (below,
    // 'again'), so giving it back buys nothing, and it would be wrong. Requests with one key race: this one's refusal
    // or 503 giving it back could undo the spend of another with the same key that the key's 202 then answers, and
    // a third request, with another key, would buy with the token again. Without a key no other request shares it.
    if (spender !== '-') return { giveBack: () => Promise.resolve() };
    return {
      giveBack: () =>
        this.queue.giveBack(eventId, admission.jti, spender).catch((error: Error) =>
          // Left spent: the buyer queues again; never a second order on one token.
          this.logger.warn(`an admission token of ${eventId} could not be given back: ${error.message}`),
        ),
    };
  }

  /** 503 WAITING_ROOM_CLOSED, and one warn line per sale now and then: the operator reopens it (PUT). */
  private closed(eventId: string, keyMayAnswer = false): WaitingRoomClosed {
    const now = Date.now();
    if (now - (this.closedSaidAt.get(eventId) ?? 0) >= CLOSED_WARN_EVERY_MS) {
      this.closedSaidAt.set(eventId, now);
      this.logger.warn(
        `the waiting room of ${eventId} is on but Redis has lost its queue: closed (503) until PUT /events/${eventId}/waiting-room reopens it`,
      );
    }
    return roomClosed(eventId, keyMayAnswer);
  }

  private openRoom(eventId: string): void {
    if (!this.settings.isOn(eventId)) throw notFound(eventId);
  }
}

function soldOut(eventId: string): DomainError {
  return new DomainError('SOLD_OUT', `The sale ${eventId} is sold out: no entry is made`);
}

function notFound(eventId: string): DomainError {
  return new DomainError('WAITING_ROOM_NOT_FOUND', `The sale ${eventId} has no waiting room on`);
}

function viewOf(room: WaitingRoom): WaitingRoomView {
  return {
    eventId: room.eventId,
    enabled: room.enabled,
    admitPerSecond: room.admitAuto ? 'auto' : room.admitPerSecond,
    preQueueUntil: room.preQueueUntil?.toISOString() ?? null,
    updatedAt: room.updatedAt.toISOString(),
  };
}

/** Seconds until the pre-queue is shuffled (0 without one). */
function untilShuffle(room: RoomCounters): number {
  return room.preQueueUntilMs > 0 ? Math.max(0, Math.ceil((room.preQueueUntilMs - room.nowMs) / 1000)) : 0;
}

function waiting(room: RoomCounters, entry: RoomEntry): WaitingEntryView {
  const { entryId } = entry;
  if (entry.position === 0) {
    // In the pre-queue: the longest it may be, its place drawn at the shuffle.
    const until = untilShuffle(room);
    const estimatedWaitSeconds = until + Math.ceil(room.preQueued / room.rate);
    return {
      entryId,
      position: null,
      estimatedWaitSeconds,
      pollAfterSeconds: clamp(until, 1, MAX_POLL_SECONDS),
    };
  }
  if (entry.position <= room.serving)
    return { entryId, position: entry.position, estimatedWaitSeconds: 0, pollAfterSeconds: 0 };
  const estimatedWaitSeconds = Math.ceil((entry.position - room.serving) / room.rate);
  return {
    entryId,
    position: entry.position,
    estimatedWaitSeconds,
    pollAfterSeconds: clamp(Math.ceil(estimatedWaitSeconds / 4), 1, MAX_POLL_SECONDS),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
