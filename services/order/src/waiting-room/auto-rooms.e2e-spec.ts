import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import { OrderTestApp, publishPaymentResult, startOrderStack } from '../order.test-app';

/**
 * An auto room on the real stack (Redis, Postgres, RabbitMQ, inventory), the test's broker standing in for payment:
 * it answers every order_created while "payment" works, and stops answering when payment falls behind.
 */
describe('An auto waiting room follows the saga (e2e: real Redis, Postgres, inventory, RabbitMQ)', () => {
  const SALE = 'auto_sale';
  const BUYERS = 1000;
  let stack: OrderTestApp;
  let paying = true;
  const paid = new Set<string>();
  let stopped = false;
  const work: Array<Promise<void>> = [];

  const status = async () => (await stack.http().get(`/events/${SALE}/waiting-room`).expect(200)).body;

  /** Payment's stand-in: every order_created answered succeeded while `paying`. */
  async function pay(): Promise<void> {
    while (!stopped) {
      const created = paying ? await stack.broker.tapped('order_created') : [];
      for (const { payload } of created) {
        const orderId = payload.orderId as string;
        if (paid.has(orderId)) continue;
        paid.add(orderId);
        await publishPaymentResult(stack, { orderId, paymentId: `pay-${orderId}`, status: 'succeeded' });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The buyers: each admitted one (its position served) takes its token and orders, once. */
  async function buy(positions: Map<number, { userId: string; entryId: string }>): Promise<void> {
    let ordered = 0;
    while (!stopped) {
      const { admitted } = await status();
      const due = [];
      for (; ordered < admitted && ordered < BUYERS; ordered++) due.push(positions.get(ordered + 1)!);
      await Promise.all(
        due.map(async ({ userId, entryId }) => {
          const entry = await stack.http().get(`/events/${SALE}/waiting-room/entries/${entryId}`);
          if (!entry.body.admitted) return;
          await stack
            .http()
            .post('/orders')
            .set('Admission-Token', entry.body.admissionToken)
            .send({ eventId: SALE, userId, quantity: 1 });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
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
    await putSale(stack.inventory, SALE, { totalStock: 10_000, perUserLimit: 1 });
    await stack.broker.tap('order_created');
  });
  afterAll(async () => {
    stopped = true;
    await Promise.allSettled(work);
    await stack?.close();
  });

  it('given an auto room with a long queue, when the saga keeps up, then its rate rises; when payment stops answering (orders late), then it falls', async () => {
    await stack
      .http()
      .put(`/events/${SALE}/waiting-room`)
      .set(AS_ADMIN)
      .send({ enabled: true, admitPerSecond: 'auto' })
      .expect(200);
    const opened = (await status()).admitPerSecond;
    const positions = new Map<number, { userId: string; entryId: string }>();
    for (let from = 0; from < BUYERS; from += 50)
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const userId = `buyer-${from + i}`;
          const { body } = await stack
            .http()
            .post(`/events/${SALE}/waiting-room/entries`)
            .send({ userId })
            .expect(201);
          positions.set(body.position, { userId, entryId: body.entryId });
        }),
      );
    work.push(pay(), buy(positions));

    // when the saga keeps up (every order paid): the rate rises, orders are confirmed
    const risen = await eventually(
      async () => {
        const { admitPerSecond, mode } = await status();
        return mode === 'auto' && admitPerSecond >= 20 && admitPerSecond;
      },
      { what: 'the auto rate risen to 20 a second', timeoutMs: 30_000, intervalMs: 250 },
    );
    const [{ confirmed }] = await stack.db.query(
      `SELECT count(*)::int AS confirmed FROM orders WHERE event_id = $1 AND status = 'CONFIRMED'`,
      [SALE],
    );

    // when payment stops answering: orders stay CREATED, late after 2 s, and the rate is cut
    paying = false;
    let peak = risen;
    const fallen = await eventually(
      async () => {
        const { admitPerSecond } = await status();
        peak = Math.max(peak, admitPerSecond);
        return admitPerSecond <= peak * 0.7 && admitPerSecond;
      },
      { what: 'the auto rate cut', timeoutMs: 30_000, intervalMs: 250 },
    );
    // Held for twice the late age after a cut: the metric shows the same rate as the status
    const gauge = (await scrapeMetrics(stack)).value('boxoffice_waiting_room_admit_per_second', {
      event_id: SALE,
    });
    const [{ late }] = await stack.db.query(
      `SELECT count(*)::int AS late FROM orders WHERE status = 'CREATED' AND created_at <= now() - interval '2 seconds'`,
    );

    expect(opened).toBe(2);
    expect(confirmed).toBeGreaterThan(0);
    expect(late).toBeGreaterThanOrEqual(5);
    expect(fallen).toBeLessThan(peak);
    expect(gauge).toBe(fallen);
    // The figures of the run, for the report (docs/operations.md reads the same from the metrics).
    process.stdout.write(
      `auto room: opened at ${opened}/s, rose to ${peak}/s (${confirmed} confirmed by then), cut to ${fallen}/s with ${late} late orders\n`,
    );
  });
});
