import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { roomKeys, spentKey } from '@boxoffice/contracts/order/room-keys';
import type { RoomStock } from '@boxoffice/contracts/order/waiting-room.dto';
import { WaitingRoomClosed } from '@boxoffice/errors/domain-error';
import { LuaScript } from '@boxoffice/redis/lua-script';

const scripts = {
  room: new LuaScript(join(__dirname, 'lua', 'room.lua')),
  admission: new LuaScript(join(__dirname, 'lua', 'admission.lua')),
};

/** A pre-queue entry's draw is below this (2^40, room.lua's DRAW). */
export const DRAW_RANGE = 2 ** 40;

/**
 * A pre-queue entry's draw, from the OS's CSPRNG: nobody can predict the order a pre-queue is placed in (Lua's
 * math.random in Redis 7 restarts the same sequence on every Redis start). randomInt's range is below 2^48.
 */
export function randomDraw(): number {
  return randomInt(DRAW_RANGE);
}

/** A room's counters as Redis has them now (room.lua). */
export interface RoomCounters {
  /** Positions up to this one are admitted. */
  serving: number;
  /** The last position given. */
  next: number;
  rate: number;
  /** The pre-queue's end (ms since the epoch), 0 once shuffled or without one. */
  preQueueUntilMs: number;
  preQueued: number;
  epoch: string;
  /** Redis's clock (ms). */
  nowMs: number;
  /** The sale's stock as last read, while the reading is trusted (step stock). */
  stock: RoomStock;
}

/** The entries waiting: queued, not yet served, and pre-queued. */
export function queuedIn(room: RoomCounters): number {
  return room.next - room.serving + room.preQueued;
}

/** An entry as Redis has it. */
export interface RoomEntry {
  entryId: string;
  created: boolean;
  /** 0 while in the pre-queue. */
  position: number;
  /** Set once admitted (not when its admission had expired before anyone looked). */
  jti: string | null;
  /**
   * Once served: when its admission expires (ms), `admissionSeconds` from when the counter served its position; 0
   * before.
   */
  expMs: number;
}

export interface OpenOptions {
  auto?: boolean;
  /** WAITING_ROOM_ADMISSION_SECONDS: runs of the counter older than that are pruned (0: none now). */
  admissionSeconds?: number;
}

/** What spending an admission token found (admission.lua). */
export type SpendOutcome = 'taken' | 'again' | 'spent' | 'stale' | 'expired' | 'closed';

/** `keyMayAnswer`: refused a genuine token, whose order the request's Idempotency-Key may hold. */
export function roomClosed(eventId: string, keyMayAnswer = false): WaitingRoomClosed {
  return new WaitingRoomClosed(
    `The waiting room of ${eventId} is closed: its queue was lost. Try again shortly`,
    keyMayAnswer,
  );
}

/**
 * One sale's queue in Redis, under the sale's hash tag: positions, the serving counter, admissions and spent tokens.
 * Every step is one Lua script on Redis's clock, so that any order instance may take it and nothing that matters
 * is held in an instance's memory (docs/architecture.md, _Waiting room_).
 */
export class RoomQueue {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * Opens the queue (a new epoch) or, open already, sets its rate and pre-queue from now on; a queue paused (the room
   * was off) resumes from now, owing nothing for the time it was off. `auto`: the rate is the auto controller's from
   * now on (`rate` the one it starts at; an auto room open already keeps its own).
   */
  async open(
    eventId: string,
    rate: number,
    preQueueUntil: Date | null,
    epoch: string,
    { auto = false, admissionSeconds = 0 }: OpenOptions = {},
  ): Promise<RoomCounters> {
    const answer = await this.room(eventId, [
      'open',
      rate,
      preQueueUntil?.getTime() ?? 0,
      epoch,
      auto ? '1' : '0',
      admissionSeconds,
    ]);
    return counters(answer);
  }

  /**
   * The room turned off: served up to now on Redis's clock, then frozen (no step of any instance moves its counter)
   * until `open`. Null when the queue is gone: a room off needs none.
   */
  async pause(eventId: string, admissionSeconds: number): Promise<RoomCounters | null> {
    const answer = await this.room(eventId, ['pause', admissionSeconds]);
    return answer[0] === 'closed' ? null : counters(answer);
  }

  /**
   * The auto controller's new rate for an auto room (served at the old rate up to now): its counters, 'fixed' for a
   * room set to a fixed rate since, null when its queue is gone (a closed room stays closed).
   */
  async setAutoRate(
    eventId: string,
    rate: number,
    admissionSeconds: number,
  ): Promise<RoomCounters | 'fixed' | null> {
    const answer = await this.room(eventId, ['rate', rate, admissionSeconds]);
    if (answer[0] === 'fixed') return 'fixed';
    return answer[0] === 'closed' ? null : counters(answer);
  }

  /**
   * The sale's stock (inventory's ledger), asked `ageMs` ago and trusted for `trustSeconds` from then: none available
   * stands the counter, none held either is sold out (docs/contract.md §2, _The room follows its sale's stock_). A
   * reading older than the room's is dropped. Null when the queue is gone.
   */
  async stock(
    eventId: string,
    reading: { available: number; held: number; ageMs: number },
    trustSeconds: number,
    admissionSeconds: number,
  ): Promise<RoomCounters | null> {
    const { available, held, ageMs } = reading;
    const answer = await this.room(eventId, [
      'stock',
      available,
      held,
      trustSeconds,
      Math.max(0, Math.round(ageMs * 1000)),
      admissionSeconds,
    ]);
    return answer[0] === 'closed' ? null : counters(answer);
  }

  /** The room's counters; null when its queue is gone. `moving` false: as they stand, nothing moved (a room off). */
  async status(eventId: string, moving = true): Promise<RoomCounters | null> {
    const answer = await this.room(eventId, [moving ? 'status' : 'peek']);
    return answer[0] === 'closed' ? null : counters(answer);
  }

  /**
   * The buyer's entry, made now (created) or the one they have (a new one once its admission, `admissionSeconds`
   * from when it was served, has expired). Null when the queue is gone; 'sold_out' (nothing made) when the sale is.
   * `draw`: the new entry's place in a pre-queue, a random integer below DRAW_RANGE (randomDraw), in whose order the
   * pre-queue is placed.
   */
  async enter(
    eventId: string,
    buyer: string,
    newEntryId: string,
    admissionSeconds: number,
    draw: number = randomDraw(),
  ): Promise<{ room: RoomCounters; entry: RoomEntry } | 'sold_out' | null> {
    const answer = await this.room(eventId, ['enter', buyer, newEntryId, draw, admissionSeconds]);
    if (answer[0] === 'sold_out') return 'sold_out';
    return answer[0] === 'closed' ? null : { room: counters(answer), entry: entry(answer) };
  }

  /**
   * The entry (`buyer` '' for anyone), admitted now with `jti` if its turn has come and its admission (from when
   * its turn came) has not expired. 'none' for an entry unknown or another buyer's; null when the queue is gone.
   * `issuedNow`: its jti was given by this look (the first issue, once per entry whoever looks); `createdMs`: when
   * the entry was made (0 for an entry made before this was kept).
   */
  async look(
    eventId: string,
    entryId: string,
    buyer: string,
    jti: string,
    admissionSeconds: number,
  ): Promise<
    | { room: RoomCounters; entry: RoomEntry; buyer: string; issuedNow: boolean; createdMs: number }
    | 'none'
    | null
  > {
    const answer = await this.room(eventId, ['look', entryId, buyer, jti, admissionSeconds]);
    if (answer[0] === 'closed') return null;
    if (answer[0] === 'none') return 'none';
    return {
      room: counters(answer),
      entry: entry(answer),
      buyer: answer[14],
      issuedNow: answer[15] === '1',
      createdMs: Number(answer[16]),
    };
  }

  /**
   * Records the token as spent by `spender` (an Idempotency-Key, or none) until 5 minutes past its expiry; 'expired'
   * when Redis's clock is past it already.
   */
  async spend(
    eventId: string,
    jti: string,
    epoch: string,
    spender: string,
    expMs: number,
  ): Promise<SpendOutcome> {
    const keys = [roomKeys(this.prefix, eventId).state, spentKey(this.prefix, eventId, jti)];
    return (await scripts.admission.run(this.redis, keys, ['spend', epoch, spender, expMs])) as SpendOutcome;
  }

  /** Gives the token back, if `spender` still holds it: its order was refused, nothing kept. */
  async giveBack(eventId: string, jti: string, spender: string): Promise<void> {
    const keys = [roomKeys(this.prefix, eventId).state, spentKey(this.prefix, eventId, jti)];
    await scripts.admission.run(this.redis, keys, ['give-back', spender]);
  }

  private async room(eventId: string, args: (string | number)[]): Promise<string[]> {
    const keys = roomKeys(this.prefix, eventId);
    return (await scripts.room.run(
      this.redis,
      [keys.state, keys.buyers, keys.entries, keys.prequeue, keys.served],
      args,
    )) as string[];
  }
}

function counters(answer: string[]): RoomCounters {
  return {
    serving: Number(answer[1]),
    next: Number(answer[2]),
    rate: Number(answer[3]),
    preQueueUntilMs: Number(answer[4]),
    preQueued: Number(answer[5]),
    epoch: answer[6],
    nowMs: Number(answer[7]),
    stock: answer[8] as RoomStock,
  };
}

function entry(answer: string[]): RoomEntry {
  return {
    entryId: answer[9],
    created: answer[10] === '1',
    position: Number(answer[11]),
    jti: answer[12] || null,
    expMs: Number(answer[13]),
  };
}
