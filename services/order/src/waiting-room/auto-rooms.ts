import { Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { rateLeaseKey } from '@boxoffice/contracts/order/room-keys';
import type { RoomStock } from '@boxoffice/contracts/order/waiting-room.dto';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';
import { nextRates, readingOf, startingState, type AutoRateBounds, type AutoVerdict } from './admission-rate';
import { RateLease } from './rate-lease';
import { RoomQueue, type RoomCounters } from './room-queue';
import { RoomSettings } from './room-settings';
import { PACE_WINDOW_SECONDS, SagaPace, type PaceSample } from './saga-pace';

/** The controller steers once a second, as the rooms' settings are read. */
export const STEER_EVERY_MS = 1000;
/** The rooms' stock that stands their counter (room.lua): they admit nobody, whatever their rate. */
const STANDING: ReadonlySet<RoomStock> = new Set<RoomStock>(['all_held', 'sold_out']);
/** Its holder gone, another instance steers within this. */
const LEASE_MS = 3 * STEER_EVERY_MS;

/**
 * One second's reading, kept for the window: the saga's pace, where each auto room's counter stood and the rate each
 * was then given (empty until given).
 */
interface Sample extends PaceSample {
  serving: ReadonlyMap<string, number>;
  given: ReadonlyMap<string, number>;
}

/**
 * The auto rooms' rate (`admitPerSecond: "auto"`): every second, on the one order instance holding the lease, the
 * saga's pace (SagaPace, Postgres) and the rooms (Redis) go through the controller (admission-rate.ts), and each
 * room's new rate goes to Redis (room.lua's 'rate' step), where every instance serves the same counter.
 */
@Injectable()
export class AutoRooms {
  private readonly logger = new Logger('waiting-room');
  private readonly lease: RateLease;
  private readonly bounds: AutoRateBounds;
  /** Seconds left to hold the rate after a cut. */
  private holdSeconds = 0;
  private samples: Sample[] = [];

  constructor(
    private readonly settings: RoomSettings,
    private readonly queue: RoomQueue,
    private readonly pace: SagaPace,
    private readonly config: OrderConfig,
    redis: Redis,
  ) {
    this.lease = new RateLease(redis, rateLeaseKey(config.redisPrefix), LEASE_MS);
    const { minPerSecond, maxPerSecond, stepPerSecond, lateOrders } = config.waitingRoom.auto;
    this.bounds = {
      minPerSecond,
      maxPerSecond,
      stepPerSecond,
      lateOrders,
      lateSeconds: Math.max(1, config.sagaBacklogAfterSeconds),
    };
  }

  /** One second's step; null when this instance does not steer (no auto room on, or another holds the lease). */
  @Periodic('waiting room auto rate', STEER_EVERY_MS)
  async steer(): Promise<AutoVerdict | null> {
    const sales = this.settings.auto();
    // The lease is taken or renewed only once the saga's pace is read: a holder that cannot read Postgres lets it
    // lapse, and another instance steers (a failed read throws: PeriodicTask logs it).
    if (sales.length === 0 || !(await this.lease.mayHold())) return this.standDown();
    const pace = await this.pace.read();
    if (!(await this.lease.hold())) return this.standDown();
    const counters = await Promise.all(sales.map((eventId) => this.queue.status(eventId)));
    // A room whose queue Redis lost is closed until the operator reopens it: no rate to set. One standing for want of
    // tickets admits nobody whatever its rate: it takes no share of the total, and keeps its rate for when it goes on.
    const open = sales.flatMap((eventId, i) => {
      const room = counters[i];
      return room && !STANDING.has(room.stock) ? [{ eventId, room }] : [];
    });
    if (open.length === 0) return null;
    const then = this.windowStart(pace, open);
    const rooms = open.map(({ eventId, room }) =>
      readingOf(
        eventId,
        room,
        then && {
          atMs: then.sample.atMs,
          serving: then.sample.serving.get(eventId),
          offeredPerSecond: then.offered.get(eventId),
        },
        pace.atMs,
      ),
    );
    const openGrowth = then ? pace.open - then.sample.open : null;
    const saga = {
      endedPerSecond: pace.ended / PACE_WINDOW_SECONDS,
      createdPerSecond: openGrowth === null ? null : (pace.ended + openGrowth) / PACE_WINDOW_SECONDS,
      openGrowth,
      lagSeconds: pace.lagSeconds,
    };
    // The total from the rates the rooms have: what was applied, a room handed to auto with its own rate.
    const before = startingState(rooms, this.holdSeconds);
    const { state, verdict, rates } = nextRates(before, saga, rooms, this.bounds);
    this.holdSeconds = state.holdSeconds;
    this.samples[this.samples.length - 1].given = rates;
    if (verdict === 'cut')
      this.logger.warn(
        `auto rooms: the saga is late (${this.config.waitingRoom.auto.lateOrders} open orders have waited ${pace.lagSeconds.toFixed(1)} s or more; it ended ${saga.endedPerSecond.toFixed(0)} orders a second): admission cut from ${before.total} to ${state.total} a second`,
      );
    await Promise.all(
      rooms
        .filter((room) => rates.get(room.eventId) !== room.rate)
        .map((room) =>
          this.queue.setAutoRate(
            room.eventId,
            rates.get(room.eventId)!,
            this.config.waitingRoom.admissionSeconds,
          ),
        ),
    );
    return verdict;
  }

  /** Another instance steers, or nothing to: this one starts afresh when it does again. */
  private standDown(): null {
    this.holdSeconds = 0;
    this.samples = [];
    return null;
  }

  /**
   * Keeps this second's sample; the one a window ago (the oldest kept) and each room's mean rate given since (undefined
   * for a room not given one every second of it), or null before a window is seen.
   */
  private windowStart(
    pace: PaceSample,
    open: Array<{ eventId: string; room: RoomCounters }>,
  ): { sample: Sample; offered: Map<string, number | undefined> } | null {
    const serving = new Map(open.map(({ eventId, room }) => [eventId, room.serving]));
    this.samples = [...this.samples, { ...pace, serving, given: new Map() }].filter(
      (sample) => pace.atMs - sample.atMs <= PACE_WINDOW_SECONDS * 1000 + STEER_EVERY_MS / 2,
    );
    const oldest = this.samples[0];
    if (pace.atMs - oldest.atMs < (PACE_WINDOW_SECONDS - 1) * 1000) return null;
    const since = this.samples.slice(0, -1);
    const offered = new Map(
      open.map(({ eventId }) => {
        const given = since.map((sample) => sample.given.get(eventId));
        if (given.some((rate) => rate === undefined)) return [eventId, undefined];
        return [eventId, (given as number[]).reduce((sum, rate) => sum + rate, 0) / given.length];
      }),
    );
    return { sample: oldest, offered };
  }
}
