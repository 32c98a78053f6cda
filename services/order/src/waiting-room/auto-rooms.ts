import { Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { OrderConfig } from '../order.config';
import {
  nextRate,
  readingOf,
  shareOut,
  startingState,
  type AutoRateBounds,
  type AutoRateState,
  type AutoVerdict,
} from './admission-rate';
import { rateLeaseKey } from '@boxoffice/contracts/order/room-keys';
import { RateLease } from './rate-lease';
import { RoomQueue, type RoomCounters } from './room-queue';
import { RoomSettings } from './room-settings';
import { PACE_WINDOW_SECONDS, SagaPace, type PaceSample } from './saga-pace';

/** The controller steers once a second, as the rooms' settings are read. */
export const STEER_EVERY_MS = 1000;
/** Its holder gone, another instance steers within this. */
const LEASE_MS = 3 * STEER_EVERY_MS;

/** One second's reading, kept for the window: the saga's pace and where each auto room's counter stood. */
interface Sample extends PaceSample {
  serving: ReadonlyMap<string, number>;
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
  private state: AutoRateState | null = null;
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
    if (sales.length === 0 || !(await this.lease.hold())) {
      // Another instance steers, or nothing to: this one starts afresh from the rooms' rates when it does again.
      this.state = null;
      this.samples = [];
      return null;
    }
    const counters = await Promise.all(sales.map((eventId) => this.queue.status(eventId)));
    // A room whose queue Redis lost is closed until the operator reopens it: no rate to set.
    const open = sales.flatMap((eventId, i) => (counters[i] ? [{ eventId, room: counters[i] }] : []));
    if (open.length === 0) return null;
    const pace = await this.pace.read();
    const then = this.windowStart(pace, open);
    const rooms = open.map(({ eventId, room }) =>
      readingOf(eventId, room, then && { atMs: then.atMs, serving: then.serving.get(eventId) }, pace.atMs),
    );
    const openGrowth = then ? pace.open - then.open : null;
    const saga = {
      endedPerSecond: pace.ended / PACE_WINDOW_SECONDS,
      createdPerSecond: openGrowth === null ? null : (pace.ended + openGrowth) / PACE_WINDOW_SECONDS,
      openGrowth,
      lagSeconds: pace.lagSeconds,
    };
    const before = this.state ?? startingState(rooms);
    const { state, verdict } = nextRate(before, saga, rooms, this.bounds);
    this.state = state;
    if (verdict === 'cut')
      this.logger.warn(
        `auto rooms: the saga is late (${this.config.waitingRoom.auto.lateOrders} open orders have waited ${pace.lagSeconds.toFixed(1)} s or more; it ended ${saga.endedPerSecond.toFixed(0)} orders a second): admission cut from ${before.total} to ${state.total} a second`,
      );
    const rates = shareOut(state.total, rooms, this.bounds);
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

  /** Keeps this second's sample; the one a window ago (the oldest kept), or null before a window is seen. */
  private windowStart(pace: PaceSample, open: Array<{ eventId: string; room: RoomCounters }>): Sample | null {
    const serving = new Map(open.map(({ eventId, room }) => [eventId, room.serving]));
    this.samples = [...this.samples, { ...pace, serving }].filter(
      (sample) => pace.atMs - sample.atMs <= PACE_WINDOW_SECONDS * 1000 + STEER_EVERY_MS / 2,
    );
    const oldest = this.samples[0];
    return pace.atMs - oldest.atMs >= (PACE_WINDOW_SECONDS - 1) * 1000 ? oldest : null;
  }
}
