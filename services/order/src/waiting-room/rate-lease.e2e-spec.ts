import type Redis from 'ioredis';
import { openRedis } from '@boxoffice/redis/open-redis';
import { eventually } from '@boxoffice/testing/eventually';
import { TEST_REDIS_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { rateLeaseKey } from '@boxoffice/contracts/order/room-keys';
import type { OrderConfig } from '../order.config';
import { AutoRooms } from './auto-rooms';
import { RateLease } from './rate-lease';
import type { RoomCounters, RoomQueue } from './room-queue';
import type { RoomSettings } from './room-settings';
import type { PaceSample, SagaPace } from './saga-pace';

/** Waits until `atMs` on this clock: a TTL measured from a moment the test recorded, not a guessed sleep. */
const until = (atMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now())));

/**
 * The auto rooms' lease against a real Redis, from two clients as two order instances would hold it; then two
 * instances' controllers (AutoRooms) over it, their rooms and the saga's pace faked (ports).
 */
describe('RateLease and AutoRooms over it (e2e: real Redis)', () => {
  const TTL_MS = 1000;
  let namespace: TestNamespace;
  let clients: Redis[];

  beforeAll(() => {
    namespace = testNamespace('rate_lease');
    clients = [openRedis(TEST_REDIS_URL), openRedis(TEST_REDIS_URL)];
  });
  afterAll(async () => {
    for (const redis of clients ?? []) redis.disconnect();
    await namespace?.dispose();
  });

  it('given two instances, when both ask for the lease, then one holds it; renewed, it outlives its first TTL; once it stops renewing, the other takes it over within the lease', async () => {
    const key = rateLeaseKey(namespace.redisPrefix);
    const [first, second] = clients.map((redis) => new RateLease(redis, key, TTL_MS));

    const taken = [await first.hold(), await second.hold()];
    // Redis set the first TTL before this moment: without a renewal the lease is gone by takenBy + TTL_MS.
    const takenBy = Date.now();
    expect(taken).toEqual([true, false]);
    expect([await first.mayHold(), await second.mayHold()]).toEqual([true, false]);

    // when the holder renews at 60% of the TTL, then asked again past the first TTL
    await until(takenBy + 0.6 * TTL_MS);
    const renewedFrom = Date.now();
    expect(await first.hold()).toBe(true);
    await until(takenBy + TTL_MS + 100);
    const refused = await second.hold();
    const askedBy = Date.now();

    // then the second is still refused: only the renewal keeps the lease past takenBy + TTL_MS
    expect(askedBy).toBeLessThan(renewedFrom + TTL_MS); // asked while the renewal lasts (else the machine stalled)
    expect(refused).toBe(false);
    // when the first stops renewing (its instance gone)
    await eventually(() => second.hold(), { what: 'the lease taken over', timeoutMs: 3 * TTL_MS });
    expect(await first.hold()).toBe(false);
    expect(await first.mayHold()).toBe(false);
  });

  const config = () =>
    ({
      redisPrefix: `${namespace.redisPrefix}:auto`,
      sagaBacklogAfterSeconds: 2,
      waitingRoom: {
        admissionSeconds: 60,
        auto: { minPerSecond: 10, maxPerSecond: 500, stepPerSecond: 10, lateOrders: 20 },
      },
    }) as unknown as OrderConfig;
  const settings = { auto: () => ['sale'] } as unknown as RoomSettings;
  const counters: RoomCounters = {
    serving: 0,
    next: 100,
    rate: 10,
    preQueueUntilMs: 0,
    preQueued: 0,
    epoch: 'e',
    nowMs: 0,
    stock: 'unknown',
  };
  const queue = {
    status: async () => counters,
    setAutoRate: async () => counters,
  } as unknown as RoomQueue;
  const paceOf = (read: () => Promise<PaceSample>) => ({ read }) as unknown as SagaPace;

  it('given an instance steering, when it can no longer read the saga’s pace, then it steers nothing and lets the lease lapse: another instance steers within the lease', async () => {
    let postgresUp = true;
    const failing = new AutoRooms(
      settings,
      queue,
      paceOf(async () => {
        if (!postgresUp) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return { atMs: Date.now(), ended: 0, open: 0, lagSeconds: 0 };
      }),
      config(),
      clients[0],
    );
    const healthy = new AutoRooms(
      settings,
      queue,
      paceOf(async () => ({ atMs: Date.now(), ended: 0, open: 0, lagSeconds: 0 })),
      config(),
      clients[1],
    );
    expect(await failing.steer()).not.toBeNull();
    expect(await healthy.steer()).toBeNull();

    // when the first one's Postgres goes away: it keeps trying every second, as PeriodicTask runs it
    postgresUp = false;
    const startedAt = Date.now();
    const failingSteps: Array<string | null> = [];
    const verdict = await eventually(
      async () => {
        failingSteps.push(await failing.steer().catch((error: Error) => error.message));
        return healthy.steer();
      },
      { what: 'the healthy instance steering', timeoutMs: 6000, intervalMs: 500 },
    );

    // then: the failing instance never steered again (a failed read, or the lease another's); the healthy one took over
    expect(new Set(failingSteps)).toEqual(new Set(['connect ECONNREFUSED 127.0.0.1:5432']));
    expect(verdict).toBe('idle');
    expect(Date.now() - startedAt).toBeLessThan(4500); // the lease is 3 s
    expect(await failing.steer()).toBeNull();
  });

  it('given two auto rooms, one standing for want of tickets, when the controller steers, then the standing one is given no rate and takes no share: the other gets the total', async () => {
    const rooms: Record<string, RoomCounters> = {
      gone: { ...counters, stock: 'sold_out', rate: 200 },
      open: { ...counters, stock: 'on_sale', rate: 10 },
    };
    const given = new Map<string, number>();
    const twoRooms = {
      status: async (eventId: string) => rooms[eventId],
      setAutoRate: async (eventId: string, rate: number) => given.set(eventId, rate) && rooms[eventId],
    } as unknown as RoomQueue;
    const controller = new AutoRooms(
      { auto: () => ['gone', 'open'] } as unknown as RoomSettings,
      twoRooms,
      paceOf(async () => ({ atMs: Date.now(), ended: 0, open: 0, lagSeconds: 0 })),
      { ...config(), redisPrefix: `${namespace.redisPrefix}:standing` } as OrderConfig,
      clients[0],
    );

    await controller.steer();

    // then: the standing room's 200 is not in the total, and it keeps it; the open room alone has the total (10)
    expect(given.has('gone')).toBe(false);
    expect(given.get('open') ?? rooms.open.rate).toBe(10);
  });
});
