import {
  CUT_TO,
  nextRate,
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
  ...change,
});
const settled = { total: 200, holdSeconds: 0 };

describe('The auto rooms’ rate (admission-rate.ts)', () => {
  it('given a saga that keeps up and a queue, when a second passes, then the rate rises by the step', () => {
    const { state, verdict } = nextRate(settled, KEEPING_UP, [room()], BOUNDS);

    expect(verdict).toBe('rise');
    expect(state.total).toBe(225);
  });

  it('given a saga that keeps up for a long while, when it rises each second, then never above the maximum (per room)', () => {
    let state = settled;
    for (let second = 0; second < 100; second++) state = nextRate(state, KEEPING_UP, [room()], BOUNDS).state;

    expect(state.total).toBe(500);
    expect(nextRate(state, KEEPING_UP, [room(), room({ eventId: 'other' })], BOUNDS).state.total).toBe(525);
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

  it('given rates of every room, when a controller starts (another instance drove them), then it starts from their sum', () => {
    expect(startingState([room({ rate: 120 }), room({ eventId: 'b', rate: 30 })])).toEqual({
      total: 150,
      holdSeconds: 0,
    });
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
        ['big', 300],
        ['small', 100],
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
    };

    const reading = readingOf('presale', counters, null, Date.now());

    expect(reading).toEqual({ eventId: 'presale', rate: 10, queued: 0, admittedPerSecond: null });
    expect(nextRate({ total: 10, holdSeconds: 0 }, KEEPING_UP, [reading], BOUNDS).verdict).toBe('idle');
  });

  it('given a room whose counter served 100 in the last 5 s, 400 placed still waiting, when read, then 20 admitted a second and 400 waiting', () => {
    const counters = {
      serving: 600,
      next: 1000,
      rate: 20,
      preQueueUntilMs: 0,
      preQueued: 0,
      epoch: 'e',
      nowMs: 0,
    };

    expect(readingOf('sale', counters, { atMs: 0, serving: 500 }, 5000)).toEqual({
      eventId: 'sale',
      rate: 20,
      queued: 400,
      admittedPerSecond: 20,
    });
  });
});
