import {
  CUT_TO,
  nextRate,
  nextRates,
  orderingShare,
  readingOf,
  shareOut,
  startingState,
  type AutoRateBounds,
  type AutoRoomReading,
  type SagaReading,
} from './admission-rate';

const BOUNDS: AutoRateBounds = {
  minPerSecond: 10,
  maxPerSecond: 500,
  stepPerSecond: 25,
  lateOrders: 20,
  lateSeconds: 2,
};
const KEEPING_UP: SagaReading = {
  endedPerSecond: 200,
  createdPerSecond: 200,
  openGrowth: 0,
  lagSeconds: 0.2,
};
const room = (change: Partial<AutoRoomReading> = {}): AutoRoomReading => ({
  eventId: 'final',
  rate: 200,
  queued: 5000,
  admittedPerSecond: 200,
  offeredPerSecond: 200,
  ...change,
});
const settled = { total: 200, holdSeconds: 0 };

describe('The auto rooms’ rate (admission-rate.ts)', () => {
  it('given a saga that keeps up and a queue, when a second passes, then the rate rises by the step', () => {
    const { state, verdict } = nextRate(settled, KEEPING_UP, [room()], BOUNDS);

    expect(verdict).toBe('rise');
    expect(state.total).toBe(225);
  });

  it('given a saga that keeps up for a long while, far from its capacity, when it rises each second, then never above the maximum (per room)', () => {
    const ample = { ...KEEPING_UP, endedPerSecond: 600, createdPerSecond: 600 };
    let state = settled;
    for (let second = 0; second < 100; second++) state = nextRate(state, ample, [room()], BOUNDS).state;

    expect(state.total).toBe(500);
    expect(nextRate(state, ample, [room(), room({ eventId: 'other' })], BOUNDS).state.total).toBe(525);
  });

  it('given a saga measured to end 40 orders a second, every admitted buyer ordering, when it keeps up, then the rate rises to twice that and no higher; a rate above it comes down to it', () => {
    const saga = { ...KEEPING_UP, endedPerSecond: 40, createdPerSecond: 40 };
    const admitting40 = [room({ admittedPerSecond: 40, offeredPerSecond: 40 })];

    expect(nextRate({ total: 75, holdSeconds: 0 }, saga, admitting40, BOUNDS).state.total).toBe(80);
    expect(nextRate({ total: 80, holdSeconds: 0 }, saga, admitting40, BOUNDS).state.total).toBe(80);
    expect(
      nextRate({ total: 300, holdSeconds: 0 }, { ...saga, lagSeconds: 1.5 }, admitting40, BOUNDS),
    ).toEqual({
      state: { total: 80, holdSeconds: 0 },
      verdict: 'stay',
    });
  });

  it('given a saga that takes orders and ends none (payment down) before any is late, when a second passes, then the rate is at its minimum', () => {
    const stalled = {
      ...KEEPING_UP,
      endedPerSecond: 0,
      createdPerSecond: 30,
      openGrowth: 4,
      lagSeconds: 0.5,
    };

    expect(nextRate(settled, stalled, [room()], BOUNDS).state.total).toBe(BOUNDS.minPerSecond);
  });

  it('given buyers arriving at random, half the rate on average, for 10 minutes, when the saga keeps up with room to spare, then the rate stays where it is (a rate not used does not rise)', () => {
    const run = simulate({ arrivalsPerSecond: 50, rate: 100, seconds: 600 });

    expect(run.total).toBe(100);
    expect(run.verdicts.has('rise')).toBe(false);
    expect(run.queuedSeen).toBeGreaterThan(100); // the queue was seen non-empty in many seconds
  });

  it('given buyers arriving at random faster than the rate, when the saga keeps up, then the rate rises (it is used)', () => {
    const run = simulate({ arrivalsPerSecond: 150, rate: 100, seconds: 30 });

    expect(run.total).toBeGreaterThan(200);
  });

  it('given nobody waiting in any auto room, when the saga keeps up, then the rate stays (a rate nobody uses proves nothing)', () => {
    const { state, verdict } = nextRate(settled, KEEPING_UP, [room({ queued: 0 })], BOUNDS);

    expect(verdict).toBe('idle');
    expect(state.total).toBe(200);
  });

  it('given a saga busy (its late-th oldest order waited past half the late age), when a second passes, then the rate stays', () => {
    const { state, verdict } = nextRate(settled, { ...KEEPING_UP, lagSeconds: 1.2 }, [room()], BOUNDS);

    expect(verdict).toBe('stay');
    expect(state.total).toBe(200);
  });

  it('given orders piling up (20 more open than 5 s ago) while none waits long yet, when a second passes, then the rate stays', () => {
    const piling = { ...KEEPING_UP, createdPerSecond: 260, openGrowth: 20 };

    const { state, verdict } = nextRate(settled, piling, [room()], BOUNDS);

    expect(verdict).toBe('stay');
    expect(state.total).toBe(200);
    expect(nextRate(settled, { ...piling, openGrowth: 19 }, [room()], BOUNDS).verdict).toBe('rise');
  });

  it('given late orders while the saga ends more than the rate, when a second passes, then cut to 70% and held for twice the late age', () => {
    const late = { ...KEEPING_UP, endedPerSecond: 400, createdPerSecond: 400, lagSeconds: 2.5 };

    const cut = nextRate({ total: 400, holdSeconds: 0 }, late, [room({ admittedPerSecond: 400 })], BOUNDS);

    expect(cut).toEqual({ state: { total: 400 * CUT_TO, holdSeconds: 4 }, verdict: 'cut' });
    expect(cut.state.total).toBe(280);
    let state = cut.state;
    for (let second = 0; second < 4; second++) {
      const next = nextRate(state, KEEPING_UP, [room()], BOUNDS);
      expect(next).toMatchObject({ state: { total: 280 }, verdict: 'hold' });
      state = next.state;
    }
    expect(nextRate(state, KEEPING_UP, [room()], BOUNDS).verdict).toBe('rise');
  });

  it('given late orders and a saga measured to end 150 a second, half the admitted buyers ordering, when cut, then to just below what it takes in admissions (270 a second), not 70%', () => {
    const late = { ...KEEPING_UP, endedPerSecond: 150, createdPerSecond: 250, lagSeconds: 3 };

    const { state } = nextRate(
      { total: 500, holdSeconds: 0 },
      late,
      [room({ admittedPerSecond: 500 })],
      BOUNDS,
    );

    expect(state.total).toBe(Math.round((150 / 0.5) * 0.9));
  });

  it('given a saga that ends nothing (payment down) with late orders, when cut, then to the minimum, never below', () => {
    const stalled = { ...KEEPING_UP, endedPerSecond: 0, createdPerSecond: 0, lagSeconds: 30 };

    const { state } = nextRate(
      { total: 300, holdSeconds: 0 },
      stalled,
      [room(), room({ eventId: 'b' })],
      BOUNDS,
    );

    expect(state.total).toBe(2 * BOUNDS.minPerSecond);
  });

  it('given rates of every room, when a second starts (another instance drove them, or this one), then it starts from their sum', () => {
    expect(startingState([room({ rate: 120 }), room({ eventId: 'b', rate: 30 })], 3)).toEqual({
      total: 150,
      holdSeconds: 3,
    });
  });

  it('given two auto rooms, one with nearly all the queue, when the total passes what the maximum lets it have, then the total is what the rooms were given, and a cut lowers the busy room at once', () => {
    const bounds = { ...BOUNDS, maxPerSecond: 2000 };
    const rooms = [
      room({ eventId: 'busy', rate: 2000, queued: 9990 }),
      room({ eventId: 'quiet', rate: 2000, queued: 10 }),
    ];
    const ample = { ...KEEPING_UP, endedPerSecond: 5000, createdPerSecond: 5000 };

    const shared = nextRates({ total: 4000, holdSeconds: 0 }, { ...ample, lagSeconds: 1.5 }, rooms, bounds);

    expect(shared.rates).toEqual(
      new Map([
        ['busy', 2000],
        ['quiet', 13],
      ]),
    );
    expect(shared.state.total).toBe(2013);
    const late = { ...ample, lagSeconds: 3 };
    const cut = nextRates(shared.state, late, rooms, bounds);
    expect(cut.verdict).toBe('cut');
    expect(cut.rates.get('busy')).toBeLessThanOrEqual(Math.round(2013 * CUT_TO));
  });

  it('given a room driven at 200 and one handed to auto at 5000 (its own rate), when the next second is shared, then the total goes on from 5200, not from 200', () => {
    const bounds = { ...BOUNDS, maxPerSecond: 10_000 };
    const rooms = [
      room({ eventId: 'driven', rate: 200, queued: 1000 }),
      room({ eventId: 'handed', rate: 5000, queued: 1000, admittedPerSecond: null, offeredPerSecond: null }),
    ];
    const busy = { ...KEEPING_UP, endedPerSecond: 6000, createdPerSecond: 5200, lagSeconds: 1.5 };

    const { state, rates } = nextRates(startingState(rooms), busy, rooms, bounds);

    expect(state.total).toBe(5200);
    expect(rates.get('handed')).toBe(2600);
  });

  it('given any total, when shared, then the rates add up to it (each room its minimum, the rest by queue): nothing creeps second after second', () => {
    const rooms = [
      room({ eventId: 'a', queued: 1 }),
      room({ eventId: 'b', queued: 0 }),
      room({ eventId: 'c', queued: 2 }),
    ];
    let total = 101;
    for (let second = 0; second < 50; second++)
      total = [...shareOut(total, rooms, BOUNDS).values()].reduce((sum, rate) => sum + rate, 0);

    expect(total).toBe(101);
  });

  it.each([
    { case: 'not measured yet', saga: { createdPerSecond: null }, rooms: [room()], share: 1 },
    { case: 'nobody admitted', saga: {}, rooms: [room({ admittedPerSecond: 0 })], share: 1 },
    { case: 'a quarter ordering', saga: { createdPerSecond: 50 }, rooms: [room()], share: 0.25 },
    {
      case: 'more orders than admissions (other sales)',
      saga: { createdPerSecond: 300 },
      rooms: [room()],
      share: 1,
    },
    { case: 'almost nobody ordering', saga: { createdPerSecond: 1 }, rooms: [room()], share: 0.1 },
  ])(
    'given $case, when the share of admitted buyers who order is taken, then $share',
    ({ saga, rooms, share }) => {
      expect(orderingShare({ ...KEEPING_UP, ...saga }, rooms)).toBe(share);
    },
  );

  it('given two auto rooms, one with three times the queue of the other, when the total is shared, then in proportion, each within the bounds', () => {
    const rooms = [room({ eventId: 'big', queued: 3000 }), room({ eventId: 'small', queued: 1000 })];

    expect(shareOut(400, rooms, BOUNDS)).toEqual(
      new Map([
        ['big', 10 + 285],
        ['small', 10 + 95],
      ]),
    );
    expect(shareOut(2000, rooms, BOUNDS).get('big')).toBe(500);
    expect(shareOut(20, rooms, BOUNDS).get('small')).toBe(10);
    expect(
      shareOut(
        100,
        rooms.map((one) => ({ ...one, queued: 0 })),
        BOUNDS,
      ).get('small'),
    ).toBe(50);
  });

  it('given a room of 5000 pre-queued (nobody placed yet), when read, then nobody counts as waiting: the rate does not rise for a pre-queue', () => {
    const counters = {
      serving: 0,
      next: 0,
      rate: 10,
      preQueueUntilMs: Date.now() + 60_000,
      preQueued: 5000,
      epoch: 'e',
      nowMs: Date.now(),
      stock: 'unknown' as const,
    };

    const reading = readingOf('presale', counters, null, Date.now());

    expect(reading).toEqual({
      eventId: 'presale',
      rate: 10,
      queued: 0,
      admittedPerSecond: null,
      offeredPerSecond: null,
    });
    expect(nextRate({ total: 10, holdSeconds: 0 }, KEEPING_UP, [reading], BOUNDS).verdict).toBe('idle');
  });

  it('given a room whose counter served 100 in the last 5 s at a rate of 25, 400 placed still waiting, when read, then 20 admitted a second of 25 offered and 400 waiting', () => {
    const counters = {
      serving: 600,
      next: 1000,
      rate: 20,
      preQueueUntilMs: 0,
      preQueued: 0,
      epoch: 'e',
      nowMs: 0,
      stock: 'unknown' as const,
    };

    expect(readingOf('sale', counters, { atMs: 0, serving: 500, offeredPerSecond: 25 }, 5000)).toEqual({
      eventId: 'sale',
      rate: 20,
      queued: 400,
      admittedPerSecond: 20,
      offeredPerSecond: 25,
    });
  });
});

/**
 * One auto room, ms by ms as room.lua serves it (the counter moves `rate` a second, banks nothing while nobody waits),
 * buyers arriving at random (Poisson, a seeded generator), the controller each second with the 5 s window auto-rooms.ts
 * keeps; the saga keeps up with room to spare (it ends 1,000 orders a second, every sale).
 */
function simulate({
  arrivalsPerSecond,
  rate,
  seconds,
}: {
  arrivalsPerSecond: number;
  rate: number;
  seconds: number;
}) {
  let seed = 23;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const arrivalsIn = (mean: number) => {
    // Knuth's: the number of arrivals in a ms
    let k = 0;
    for (let p = random(), limit = Math.exp(-mean); p > limit; p *= random()) k++;
    return k;
  };
  const saga = { endedPerSecond: 1000, createdPerSecond: 1000, openGrowth: 0, lagSeconds: 0.1 };
  let state = { total: rate, holdSeconds: 0 };
  let queued = 0;
  let served = 0;
  let credit = 0;
  let queuedSeen = 0;
  const window: Array<{ served: number; rate: number }> = [];
  const verdicts = new Set<string>();
  for (let second = 0; second < seconds; second++) {
    for (let ms = 0; ms < 1000; ms++) {
      queued += arrivalsIn(arrivalsPerSecond / 1000);
      if (queued === 0) {
        credit = 0;
        continue;
      }
      credit += state.total / 1000;
      const moves = Math.min(queued, Math.floor(credit));
      queued -= moves;
      served += moves;
      credit -= moves;
    }
    if (queued > 0) queuedSeen++;
    const then = window.length >= 5 ? window[window.length - 5] : null;
    const reading: AutoRoomReading = {
      eventId: 'sale',
      rate: state.total,
      queued,
      admittedPerSecond: then ? (served - then.served) / 5 : null,
      offeredPerSecond: then ? window.slice(-5).reduce((sum, one) => sum + one.rate, 0) / 5 : null,
    };
    const next = nextRates(startingState([reading], state.holdSeconds), saga, [reading], {
      ...BOUNDS,
      maxPerSecond: 2000,
    });
    verdicts.add(next.verdict);
    window.push({ served, rate: next.state.total });
    state = next.state;
  }
  return { total: state.total, verdicts, queuedSeen };
}
