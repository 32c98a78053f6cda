import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { roomKeys, spentKey } from '@boxoffice/contracts/order/room-keys';
import { openRedis } from '@boxoffice/redis/open-redis';
import { eventually } from '@boxoffice/testing/eventually';
import { TEST_REDIS_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { RoomQueue } from './room-queue';

/** The queue's scripts against a real Redis, from two clients as two order instances would be. */
describe('RoomQueue (e2e: real Redis)', () => {
  let namespace: TestNamespace;
  let clients: Redis[];
  let instances: RoomQueue[];

  beforeAll(() => {
    namespace = testNamespace('room_queue');
    clients = [openRedis(TEST_REDIS_URL), openRedis(TEST_REDIS_URL)];
    instances = clients.map((redis) => new RoomQueue(redis, namespace.redisPrefix));
  });
  afterAll(async () => {
    for (const redis of clients ?? []) redis.disconnect();
    await namespace?.dispose();
  });

  it('given 100 queued at 20 a second, when two instances look at the room as fast as they can for a second and a half, then the serving counter moves 20 a second on Redis’s clock, never twice', async () => {
    const [first, second] = instances;
    await first.open('rate', 20, null, randomUUID());
    const before = Date.now();
    for (let i = 0; i < 100; i++) await first.enter('rate', `buyer-${i}`, randomUUID(), 600);
    const entered = Date.now();

    // when: both instances look, concurrently, many times
    let lastStart = entered;
    let serving = 0;
    while (Date.now() - entered < 1500) {
      lastStart = Date.now();
      const seen = await Promise.all([first, second, first, second].map((queue) => queue.status('rate')));
      serving = Math.max(serving, ...seen.map((room) => room!.serving));
    }
    const after = Date.now();

    // then: no faster than the rate since the first entry (a double advance would be), no slower since the last
    expect(serving).toBeLessThanOrEqual(Math.floor((20 * (after - before)) / 1000) + 1);
    expect(serving).toBeGreaterThanOrEqual(Math.floor((20 * (lastStart - entered)) / 1000) - 1);
  });

  it('given an empty room for a while, when buyers arrive, then nothing was banked: the first is not served at once', async () => {
    await instances[0].open('idle', 1, null, randomUUID());
    // A second and a half empty, looked at now and then: at 1 a second a banking counter would serve the next arrival
    const opened = Date.now();
    while (Date.now() - opened < 1500) expect((await instances[0].status('idle'))!.serving).toBe(0);

    const { entry } = await made(instances[1].enter('idle', 'first', randomUUID(), 600));
    const looked = await instances[0].look('idle', entry.entryId, 'first', randomUUID(), 600);

    expect(looked).toMatchObject({ entry: { position: 1, jti: null } });
  });

  /** Buyers 0..n-1 queued in a pre-queue in that order (with these draws, or random ones); when it ends, their positions. */
  async function placed(eventId: string, n: number, draws?: number[]): Promise<number[]> {
    const queue = instances[0];
    await queue.open(eventId, 1, new Date(Date.now() + 3_600_000), randomUUID());
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { entry } = await made(queue.enter(eventId, `buyer-${i}`, randomUUID(), 600, draws?.[i]));
      expect(entry.position).toBe(0);
      ids.push(entry.entryId);
    }
    // The pre-queue ends a moment from now (on Redis's clock: a little ahead, placed by whoever looks after it).
    await queue.open(eventId, 1, new Date(Date.now() + 200), randomUUID());
    await eventually(async () => (await queue.status(eventId))!.preQueued === 0, {
      what: 'the pre-queue placed',
    });
    return Promise.all(
      ids.map(async (id, i) => {
        const looked = await queue.look(eventId, id, `buyer-${i}`, randomUUID(), 600);
        return looked !== null && looked !== 'none' ? looked.entry.position : -1;
      }),
    );
  }

  it('given a pre-queue whose entries drew 50, 10, 40, 0, 30 and 20, when it ends, then they are placed in the order of their draws, not of their arrival', async () => {
    const positions = await placed('drawn', 6, [50, 10, 40, 0, 30, 20]);

    expect(positions).toEqual([6, 2, 5, 1, 4, 3]);
  });

  it('given two rooms of 20 pre-queued buyers each, arriving in the same order, when their pre-queues end, then they are placed in different orders (the draws are random)', async () => {
    // Statistical: the two orders agree with probability 1/20! (about 4e-19), the draws being uniform and independent.
    const first = await placed('draw-1', 20);
    const second = await placed('draw-2', 20);

    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect([...second].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(second).not.toEqual(first);
  });

  it.each([
    ['no end', null],
    ['an end already past', new Date(Date.now() - 60_000)],
  ])(
    'given two buyers in a pre-queue, when the room is opened again with %s (only the rate changed), then they are placed at once, at 1 and 2, and a later buyer at 3',
    async (_, preQueueUntil) => {
      const queue = instances[0];
      const eventId = `unended-${preQueueUntil === null ? 'none' : 'past'}`;
      await queue.open(eventId, 1, new Date(Date.now() + 3_600_000), randomUUID());
      const early = [];
      for (const buyer of ['early-1', 'early-2'])
        early.push((await made(queue.enter(eventId, buyer, randomUUID(), 600))).entry);

      await queue.open(eventId, 5, preQueueUntil, randomUUID());
      const late = await made(queue.enter(eventId, 'late', randomUUID(), 600));

      const positions = [];
      for (let i = 0; i < early.length; i++)
        positions.push(
          (await made(queue.enter(eventId, `early-${i + 1}`, randomUUID(), 600))).entry.position,
        );
      expect(positions.sort()).toEqual([1, 2]);
      expect(late.entry.position).toBe(3);
      expect(late.room).toMatchObject({ preQueued: 0, preQueueUntilMs: 0, next: 3 });
    },
  );

  it('given an entry served while its buyer did not look, when looked at after its admission (1 s here) has passed, then no token (its expiry, counted from when it was served, is past), and asking for an entry again gives a new one', async () => {
    const queue = instances[0];
    await queue.open('banked', 1000, null, randomUUID());
    const { entry } = await made(queue.enter('banked', 'banker', randomUUID(), 1));
    const servedBy = await eventually(
      async () => {
        const room = (await queue.status('banked'))!;
        return room.serving >= entry.position && room.nowMs;
      },
      { what: 'the entry served' },
    );
    // Nobody looks at the entry until a second has passed since it was served, on Redis's clock.
    await eventually(async () => (await queue.status('banked'))!.nowMs > servedBy + 1000, {
      what: 'its admission over',
    });

    const looked = await queue.look('banked', entry.entryId, 'banker', randomUUID(), 1);
    const again = await made(queue.enter('banked', 'banker', randomUUID(), 1));

    expect(looked).toMatchObject({ entry: { jti: null, expMs: expect.any(Number) } });
    const { entry: seen, room } = looked as Exclude<typeof looked, 'none' | null>;
    expect(seen.expMs).toBeGreaterThan(0);
    expect(seen.expMs).toBeLessThanOrEqual(room.nowMs);
    expect(seen.expMs).toBeLessThanOrEqual(servedBy + 1000);
    expect(again.entry).toMatchObject({ created: true, position: 2 });
    expect(again.entry.entryId).not.toBe(entry.entryId);
  });

  it('given runs of the serving counter older than an admission (2 s here: an admission’s expiry is whole seconds, so 1 s can leave a buyer served at a second’s end only a moment to look), when a new run starts, then they are pruned, and an entry served in them, never looked at, is expired, not admitted anew', async () => {
    const queue = instances[0];
    await queue.open('pruned', 1000, null, randomUUID());
    const { served } = roomKeys(namespace.redisPrefix, 'pruned');
    // Each buyer arrives at an empty room, served at once: a run each.
    const early = [];
    for (let i = 0; i < 3; i++) {
      const { entry } = await made(queue.enter('pruned', `early-${i}`, randomUUID(), 2));
      await eventually(async () => (await queue.status('pruned'))!.serving >= entry.position, {
        what: 'served',
      });
      early.push(entry);
    }
    expect(await clients[0].zcard(served)).toBe(3);
    const lastServed = (await queue.status('pruned'))!.nowMs;
    await eventually(async () => (await queue.status('pruned'))!.nowMs > lastServed + 2000, {
      what: 'an admission’s length past',
    });

    // when: a new run starts (a buyer at the empty room, served; looking at it starts the run)
    const { entry: late } = await made(queue.enter('pruned', 'late', randomUUID(), 2));
    await eventually(
      async () => {
        const looked = await queue.look('pruned', late.entryId, 'late', randomUUID(), 2);
        return looked !== null && looked !== 'none' && looked.entry.jti;
      },
      { what: 'the late buyer admitted' },
    );

    // then: only the runs an entry may still need are kept; the first buyer, never looked at, has expired
    expect(await clients[0].zcard(served)).toBeLessThanOrEqual(2);
    const first = await queue.look('pruned', early[0].entryId, 'early-0', randomUUID(), 2);
    expect(first).toMatchObject({ entry: { jti: null } });
    const { entry, room } = first as Exclude<typeof first, 'none' | null>;
    expect(entry.expMs).toBeGreaterThan(0);
    expect(entry.expMs).toBeLessThanOrEqual(room.nowMs);
  });

  it('given an auto room and a fixed one, when the controller sets a rate, then the auto room takes it and the fixed one is left be (until handed to auto); a queue gone stays closed', async () => {
    const queue = instances[0];
    await queue.open('auto', 10, null, randomUUID(), { auto: true });
    await queue.open('fixed', 10, null, randomUUID());

    const auto = await queue.setAutoRate('auto', 55, 600);
    const fixed = await queue.setAutoRate('fixed', 55, 600);
    const gone = await queue.setAutoRate('never-opened', 55, 600);
    await queue.open('auto', 10, null, randomUUID(), { auto: true });

    expect(auto).toMatchObject({ rate: 55 });
    expect(fixed).toBe('fixed');
    expect((await queue.status('fixed'))!.rate).toBe(10);
    expect(gone).toBeNull();
    expect(await queue.status('never-opened')).toBeNull();
    // Opened again in auto (a PUT that changes the pre-queue), it keeps the controller's rate; a fixed room handed to
    // auto goes on from its own.
    expect((await queue.status('auto'))!.rate).toBe(55);
    await queue.open('fixed', 10, null, randomUUID(), { auto: true });
    expect(await queue.setAutoRate('fixed', 12, 600)).toMatchObject({ rate: 12 });
  });

  /** The room as if it went off, and its counter last moved, `seconds` earlier (waiting that long: no). */
  async function offFor(eventId: string, seconds: number): Promise<void> {
    const { state } = roomKeys(namespace.redisPrefix, eventId);
    const [servedAt, offAt] = await clients[0].hmget(state, 'servedAt', 'offAt');
    const us = seconds * 1_000_000;
    await clients[0].hset(
      state,
      'servedAt',
      String(Number(servedAt) - us),
      'offAt',
      String(Number(offAt) - us),
    );
  }

  it('given 100 queued at 10 a second, paused (turned off) a minute ago, when an instance that still thinks it on enters, looks, asks the status and sets an auto rate, then the counter does not move', async () => {
    const [fresh, stale] = instances;
    await fresh.open('off-stale', 10, null, randomUUID(), { auto: true });
    for (let i = 0; i < 100; i++) await fresh.enter('off-stale', `buyer-${i}`, randomUUID(), 600);
    const paused = (await fresh.pause('off-stale', 600))!;
    await offFor('off-stale', 60);

    // when: the stale instance takes every step that moves the counter of a room on
    const entered = await made(stale.enter('off-stale', 'late', randomUUID(), 600));
    await stale.look('off-stale', entered.entry.entryId, 'late', randomUUID(), 600);
    const status = (await stale.status('off-stale'))!;
    const rated = await stale.setAutoRate('off-stale', 500, 600);

    // then: a minute at 10 a second would have served all 100
    expect(entered.room.serving).toBe(paused.serving);
    expect(status.serving).toBe(paused.serving);
    expect(rated).toMatchObject({ serving: paused.serving, rate: 10 });
    expect(paused.serving).toBeLessThan(10);
  });

  it('given 100 queued at 10 a second, off for a minute (on Redis’s clock, whatever another clock says), when opened again, then nothing is owed for that minute, and the counter moves again from now', async () => {
    const queue = instances[0];
    await queue.open('off-on', 10, null, randomUUID());
    for (let i = 0; i < 100; i++) await queue.enter('off-on', `buyer-${i}`, randomUUID(), 600);
    const paused = (await queue.pause('off-on', 600))!;
    await offFor('off-on', 60);
    // Paused again (a second PUT enabled:false): the first moment it went off stands
    await queue.pause('off-on', 600);

    const opened = await queue.open('off-on', 10, null, randomUUID(), { admissionSeconds: 600 });

    expect(opened.serving).toBeLessThanOrEqual(paused.serving + 1);
    await eventually(async () => (await queue.status('off-on'))!.serving > opened.serving + 2, {
      what: 'the counter moving again',
      timeoutMs: 5_000,
    });
  });

  it('given a pre-queue that ended while the room was off, when opened again, then it is placed after the counter resumed: its first entry is neither served at once nor held back for the time off', async () => {
    const queue = instances[0];
    await queue.open('off-pre', 1, new Date(Date.now() + 3_600_000), randomUUID());
    const { entry } = await made(queue.enter('off-pre', 'first', randomUUID(), 600));
    await queue.pause('off-pre', 600);
    await offFor('off-pre', 60);
    const ended = new Date(Date.now() - 30_000);
    await clients[0].hset(roomKeys(namespace.redisPrefix, 'off-pre').state, 'until', String(ended.getTime()));

    await queue.open('off-pre', 1, ended, randomUUID(), { admissionSeconds: 600 });
    const looked = await queue.look('off-pre', entry.entryId, 'first', randomUUID(), 600);

    expect(looked).toMatchObject({ entry: { position: 1, jti: null } });
    await eventually(
      async () => {
        const again = await queue.look('off-pre', entry.entryId, 'first', randomUUID(), 600);
        return again !== null && again !== 'none' && again.entry.jti !== null;
      },
      { what: 'the first entry admitted about a second after the room is on', timeoutMs: 5_000 },
    );
  });

  describe("the sale's stock (step stock)", () => {
    /** A room of 100 queued at `rate` a second, its counter moved `seconds` back: that long since its last step. */
    async function queued(eventId: string, rate: number): Promise<void> {
      const queue = instances[0];
      await queue.open(eventId, rate, null, randomUUID());
      for (let i = 0; i < 100; i++) await queue.enter(eventId, `buyer-${i}`, randomUUID(), 600);
    }
    /** A reading asked `ageMs` ago (0: now), trusted `trustSeconds`. */
    const read = (eventId: string, available: number, held: number, trustSeconds: number, ageMs = 0) =>
      instances[0].stock(eventId, { available, held, ageMs }, trustSeconds, 600);
    async function rewind(eventId: string, field: 'servedAt' | 'stockUntil', seconds: number) {
      const { state } = roomKeys(namespace.redisPrefix, eventId);
      const now = Number(await clients[0].hget(state, field));
      await clients[0].hset(state, field, String(now - seconds * 1_000_000));
    }

    it('given no reading, when looked at, then the stock is unknown and the room admits at its rate', async () => {
      await queued('stock-none', 1000);

      await eventually(async () => (await instances[1].status('stock-none'))!.serving === 100, {
        what: 'all 100 admitted',
        timeoutMs: 5_000,
      });
      expect((await instances[0].status('stock-none'))!.stock).toBe('unknown');
    });

    it('given 100 queued at 1 a second, when a reading says none available and some held, then the counter stands (all held) however long, and a reading of tickets available starts it again from then, owing nothing', async () => {
      await queued('stock-held', 1);
      const held = (await read('stock-held', 0, 3, 120))!;

      await rewind('stock-held', 'servedAt', 60); // a minute since its last step, as if standing that long
      const stood = (await instances[1].status('stock-held'))!;
      const entered = await instances[1].enter('stock-held', 'late', randomUUID(), 600);
      await rewind('stock-held', 'servedAt', 60); // and a minute more until the reading that ends the stand
      const onSale = (await read('stock-held', 2, 1, 120))!;

      expect(held.stock).toBe('all_held');
      expect(stood).toMatchObject({ stock: 'all_held', serving: held.serving });
      expect(entered).toMatchObject({ entry: { position: 101 } });
      expect(onSale).toMatchObject({ stock: 'on_sale', serving: held.serving });
      await eventually(async () => (await instances[1].status('stock-held'))!.serving > onSale.serving, {
        what: 'the counter moving again',
        timeoutMs: 5_000,
      });
    });

    it('given a stand whose reading lapsed 50 s ago, 60 s after the last step, when looked at, then the counter goes on from the lapse: 50 served, not 60', async () => {
      await queued('stock-lapsed', 1);
      const held = (await read('stock-lapsed', 0, 1, 5))!;
      await rewind('stock-lapsed', 'servedAt', 60);
      await rewind('stock-lapsed', 'stockUntil', 55); // trusted until 5 s after the step: 50 s ago

      const after = (await instances[1].status('stock-lapsed'))!;

      expect(after.stock).toBe('unknown');
      expect(after.serving - held.serving).toBeGreaterThanOrEqual(50);
      expect(after.serving - held.serving).toBeLessThanOrEqual(51);
    });

    it('given a reading of none available and none held, when buyers enter, then sold out: no entry made, the counter stands, a buyer queued keeps a place it will not reach, and one whose turn came is answered its entry', async () => {
      await queued('stock-gone', 1);
      await rewind('stock-gone', 'servedAt', 3); // buyer-0 to buyer-2 served
      const gone = (await read('stock-gone', 0, 0, 120))!;

      const newcomer = await instances[1].enter('stock-gone', 'newcomer', randomUUID(), 600);
      const queuedAgain = await instances[1].enter('stock-gone', 'buyer-50', randomUUID(), 600);
      const served = await instances[1].enter('stock-gone', 'buyer-0', randomUUID(), 600);
      const after = (await instances[1].status('stock-gone'))!;

      expect(gone).toMatchObject({ stock: 'sold_out', serving: 3 });
      expect([newcomer, queuedAgain]).toEqual(['sold_out', 'sold_out']);
      expect(served).toMatchObject({ entry: { position: 1, created: false } });
      expect(after).toMatchObject({ stock: 'sold_out', next: gone.next, serving: gone.serving });
    });

    it('given a reading of tickets available, when an older one (asked before it, answered after) says none, then it is dropped; and a reading asked 4 s ago is trusted 1 s more, not 5', async () => {
      await queued('stock-order', 1);
      await read('stock-order', 5, 0, 5, 100);

      const late = (await read('stock-order', 0, 0, 5, 900))!;
      await queued('stock-aged', 1);
      const aged = (await read('stock-aged', 0, 0, 5, 4_000))!;

      expect(late.stock).toBe('on_sale');
      expect(aged.stock).toBe('sold_out');
      await eventually(async () => (await instances[1].status('stock-aged'))!.stock === 'unknown', {
        what: 'the aged reading lapsed',
        timeoutMs: 2_500,
      });
    });
  });

  it('given a token whose exp is past on Redis’s clock (an instance whose clock lags would take it as valid), when spent, then refused every time, nothing recorded; a token spent is recorded until 5 minutes past its exp', async () => {
    const queue = instances[0];
    const { epoch, nowMs } = await queue.open('late-clock', 10, null, randomUUID());

    const first = await queue.spend('late-clock', 'jti-past', epoch, '-', nowMs - 1000);
    const second = await queue.spend('late-clock', 'jti-past', epoch, '-', nowMs - 1000);
    const taken = await queue.spend('late-clock', 'jti-live', epoch, '-', nowMs + 60_000);

    expect([first, second]).toEqual(['expired', 'expired']);
    expect(taken).toBe('taken');
    const keys = (jti: string) => spentKey(namespace.redisPrefix, 'late-clock', jti);
    expect(await clients[0].exists(keys('jti-past'))).toBe(0);
    expect(await clients[0].pttl(keys('jti-live'))).toBeGreaterThan(60_000 + 290_000);
  });

  it('given a token spent, when spent again (another request, or after the queue was reopened) or given back by another spender, then refused, and given back by its spender it is spendable again', async () => {
    const queue = instances[0];
    const { epoch } = await queue.open('spend', 10, null, randomUUID());
    const exp = Date.now() + 60_000;

    expect(await queue.spend('spend', 'jti-1', epoch, 'k:key-1', exp)).toBe('taken');
    expect(await queue.spend('spend', 'jti-1', epoch, 'k:key-1', exp)).toBe('again');
    expect(await queue.spend('spend', 'jti-1', epoch, '-', exp)).toBe('spent');
    expect(await queue.spend('spend', 'jti-1', epoch, 'k:key-2', exp)).toBe('spent');
    expect(await queue.spend('spend', 'jti-2', 'another-epoch', '-', exp)).toBe('stale');
    await queue.giveBack('spend', 'jti-1', 'k:key-2');
    expect(await queue.spend('spend', 'jti-1', epoch, '-', exp)).toBe('spent');
    await queue.giveBack('spend', 'jti-1', 'k:key-1');
    expect(await queue.spend('spend', 'jti-1', epoch, '-', exp)).toBe('taken');
    expect(await queue.spend('never-opened', 'jti-1', epoch, '-', exp)).toBe('closed');
  });
});

/** An entry made or found: the queue open, the sale not sold out. */
async function made(pending: ReturnType<RoomQueue['enter']>) {
  const found = await pending;
  if (found === null || found === 'sold_out') throw new Error(`no entry: ${found}`);
  return found;
}
