import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import { OrderTestApp, publishPaymentResult, startOrderStack } from '../order.test-app';

type Buyer = { userId: string; entryId: string };

/**
 * Auto rooms on the real stack (Redis, Postgres, RabbitMQ, inventory), the test's broker standing in for payment: it
 * answers order_created at the pace the test sets (every one, so many a second, or none: payment stalled), which is
 * then the saga's capacity. Every admitted buyer orders (the share that orders: 1).
 */
describe('An auto waiting room follows the saga (e2e: real Redis, Postgres, inventory, RabbitMQ)', () => {
  const BUYERS = 1000;
  let stack: OrderTestApp;
  /** Orders payment's stand-in answers a second. */
  let payPerSecond = Infinity;
  const paid = new Set<string>();
  /** Each scenario's buyers and payment run until it stops them. */
  let running = false;
  let work: Array<Promise<void>> = [];
  /** Statuses POST /orders answered. */
  const answered = new Map<number, number>();

  const status = async (sale: string) =>
    (await stack.http().get(`/events/${sale}/waiting-room`).expect(200)).body;
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Payment's stand-in: order_created answered succeeded, oldest first, at most payPerSecond. */
  async function pay(): Promise<void> {
    let allowance = 0;
    let last = Date.now();
    while (running) {
      const now = Date.now();
      // At most a second's worth banked: a pace lowered (to 0: stalled) applies at once.
      allowance =
        payPerSecond === Infinity
          ? Infinity
          : Math.min(allowance + ((now - last) / 1000) * payPerSecond, payPerSecond);
      last = now;
      for (const { payload } of await stack.broker.tapped('order_created')) {
        const orderId = payload.orderId as string;
        if (allowance < 1) break;
        if (paid.has(orderId)) continue;
        paid.add(orderId);
        allowance -= 1;
        await publishPaymentResult(stack, { orderId, paymentId: `pay-${orderId}`, status: 'succeeded' });
      }
      await tick(100);
    }
  }

  /** The buyers: each one admitted (its position served) takes its token and orders, once. */
  async function buy(sale: string, positions: Map<number, Buyer>): Promise<void> {
    let ordered = 0;
    while (running) {
      const { admitted } = await status(sale);
      const due: Buyer[] = [];
      for (; ordered < admitted && ordered < BUYERS; ordered++) due.push(positions.get(ordered + 1)!);
      await Promise.all(
        due.map(async ({ userId, entryId }) => {
          const entry = await stack.http().get(`/events/${sale}/waiting-room/entries/${entryId}`);
          if (!entry.body.admitted) return;
          const { status: code } = await stack
            .http()
            .post('/orders')
            .set('Admission-Token', entry.body.admissionToken)
            .send({ eventId: sale, userId, quantity: 1 });
          answered.set(code, (answered.get(code) ?? 0) + 1);
        }),
      );
      await tick(200);
    }
  }

  const autoRoom = (name: string, enabled: boolean) =>
    stack
      .http()
      .put(`/events/${name}/waiting-room`)
      .set(AS_ADMIN)
      .send({ enabled, admitPerSecond: 'auto' })
      .expect(200);

  /** An auto room for a new sale, BUYERS queued in it, then buyers and payment at work. */
  async function sale(name: string): Promise<number> {
    await putSale(stack.inventory, name, { totalStock: 10_000, perUserLimit: 1 });
    await autoRoom(name, true);
    const opened = (await status(name)).admitPerSecond;
    const positions = new Map<number, Buyer>();
    for (let from = 0; from < BUYERS; from += 50)
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const userId = `${name}-${from + i}`;
          const { body } = await stack
            .http()
            .post(`/events/${name}/waiting-room/entries`)
            .send({ userId })
            .expect(201);
          positions.set(body.position, { userId, entryId: body.entryId });
        }),
      );
    running = true;
    work = [pay(), buy(name, positions)];
    return opened;
  }

  /**
   * Turns the room off (the next scenario's room alone is auto), stops the buyers, lets payment answer every order
   * left, and waits until the saga has none open.
   */
  async function drain(name: string): Promise<void> {
    await autoRoom(name, false);
    payPerSecond = Infinity;
    await eventually(
      async () => {
        const [{ open }] = await stack.db.query(
          `SELECT count(*)::int AS open FROM orders WHERE status = 'CREATED'`,
        );
        return open === 0;
      },
      { what: 'every order ended', timeoutMs: 30_000 },
    );
    running = false;
    await Promise.all(work);
  }

  beforeAll(async () => {
    stack = await startOrderStack('auto_rooms', {
      order: {
        WAITING_ROOM_AUTO_MIN_PER_SECOND: '2',
        WAITING_ROOM_AUTO_MAX_PER_SECOND: '200',
        WAITING_ROOM_AUTO_STEP_PER_SECOND: '4',
        WAITING_ROOM_AUTO_LATE_ORDERS: '5',
        ORDER_SAGA_BACKLOG_AFTER_SECONDS: '2',
      },
    });
    await stack.broker.tap('order_created');
  });
  afterAll(async () => {
    running = false;
    await Promise.allSettled(work);
    await stack?.close();
  });

  it('given a saga that takes 10 orders a second (payment’s pace), when an auto room’s buyers order as admitted, then its rate settles around that pace and no buyer let in is refused OVERLOADED', async () => {
    payPerSecond = 10;
    await sale('auto_settle');
    const startedAt = Date.now();

    // when: 40 s of buyers ordering as they are admitted; the rate read four times a second
    const rates: Array<{ at: number; rate: number; admitted: number }> = [];
    await eventually(
      async () => {
        const { admitPerSecond, admitted } = await status('auto_settle');
        rates.push({ at: Date.now() - startedAt, rate: admitPerSecond, admitted });
        return Date.now() - startedAt >= 40_000;
      },
      { what: '40 s of sale', timeoutMs: 60_000, intervalMs: 250 },
    );
    await drain('auto_settle');

    // then: over the last 20 s, admitted a second and the mean rate are about what the saga takes
    const settled = rates.filter((sample) => sample.at >= 20_000);
    const mean = settled.reduce((sum, sample) => sum + sample.rate, 0) / settled.length;
    const first = settled[0];
    const last = settled[settled.length - 1];
    const admittedPerSecond = ((last.admitted - first.admitted) * 1000) / (last.at - first.at);
    process.stdout.write(
      `auto room, saga at 10/s: rate over the last 20 s mean ${mean.toFixed(1)}/s (min ${Math.min(...settled.map((s) => s.rate))}, max ${Math.max(...settled.map((s) => s.rate))}), admitted ${admittedPerSecond.toFixed(1)}/s; POST /orders answered ${JSON.stringify(Object.fromEntries(answered))}\n`,
    );
    // Measured in two runs of this change: means 9.8 and 10.3 (min 4, max 20: the cap, twice the saga's pace)
    expect(mean).toBeGreaterThanOrEqual(6);
    expect(mean).toBeLessThanOrEqual(14);
    expect(admittedPerSecond).toBeGreaterThanOrEqual(6);
    expect(admittedPerSecond).toBeLessThanOrEqual(14);
    expect(answered.get(503)).toBeUndefined();
  });

  it('given an auto room with a long queue, when the saga keeps up, then its rate rises; when payment stops answering (orders late), then it falls', async () => {
    payPerSecond = Infinity;
    const opened = await sale('auto_fall');

    // when the saga keeps up (every order paid): the rate rises, orders are confirmed
    const confirmedOf = async () =>
      (
        await stack.db.query(
          `SELECT count(*)::int AS confirmed FROM orders WHERE event_id = 'auto_fall' AND status = 'CONFIRMED'`,
        )
      )[0].confirmed as number;
    const risen = await eventually(
      async () => {
        const { admitPerSecond, mode } = await status('auto_fall');
        return mode === 'auto' && admitPerSecond >= 20 && (await confirmedOf()) > 0 && admitPerSecond;
      },
      { what: 'the auto rate risen to 20 a second, orders confirmed', timeoutMs: 30_000, intervalMs: 250 },
    );
    const confirmed = await confirmedOf();

    // when payment stops answering: orders stay CREATED, late after 2 s, and the rate is cut
    payPerSecond = 0;
    let peak = risen;
    const fallen = await eventually(
      async () => {
        const { admitPerSecond } = await status('auto_fall');
        peak = Math.max(peak, admitPerSecond);
        return admitPerSecond <= peak * 0.7 && admitPerSecond;
      },
      { what: 'the auto rate cut', timeoutMs: 30_000, intervalMs: 250 },
    );
    // Held for twice the late age after a cut: the metric shows the same rate as the status
    const gauge = (await scrapeMetrics(stack)).value('boxoffice_waiting_room_admit_per_second', {
      event_id: 'auto_fall',
    });
    const [{ late }] = await stack.db.query(
      `SELECT count(*)::int AS late FROM orders WHERE status = 'CREATED' AND created_at <= now() - interval '2 seconds'`,
    );

    expect(opened).toBe(2);
    expect(confirmed).toBeGreaterThan(0);
    expect(late).toBeGreaterThanOrEqual(5);
    expect(fallen).toBeLessThan(peak);
    expect(gauge).toBe(fallen);
    process.stdout.write(
      `auto room: opened at ${opened}/s, rose to ${peak}/s (${confirmed} confirmed by then), cut to ${fallen}/s with ${late} late orders\n`,
    );
  });
});
