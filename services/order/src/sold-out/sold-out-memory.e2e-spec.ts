import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { publishPaymentResult, startOrderStack, type OrderTestApp } from '../order.test-app';
import { OrdersService } from '../orders/orders.service';

const MEMORY_MS = 1000;

describe('Sold out from memory (e2e: order in-process, inventory as a process)', () => {
  let stack: OrderTestApp;
  const order = (eventId: string, userId: string, quantity = 1, idempotencyKey?: string) => {
    const call = stack.http().post('/orders');
    return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send({
      eventId,
      userId,
      quantity,
    });
  };
  /** How many reserve calls inventory answered, from its own metrics. */
  // Order asks for holds in batches (each item answered on its own, the call itself 200): the calls are what is counted.
  const reserveCalls = async () =>
    (await scrapeMetrics(stack.inventory)).value('boxoffice_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/reservations/batch',
      status: '200',
    }) ?? 0;

  beforeAll(async () => {
    stack = await startOrderStack('sold_out', { order: { ORDER_SOLD_OUT_MEMORY_MS: String(MEMORY_MS) } });
  });
  afterAll(() => stack?.close());

  it('given a sale inventory just said was sold out, when 30 buyers (10 with keys) order, then all get 409 SOLD_OUT and inventory is not asked', async () => {
    // given
    await putSale(stack.inventory, 'storm', { totalStock: 1 });
    await order('storm', 'first').expect(202);
    await order('storm', 'told').expect(409);
    const before = await reserveCalls();

    // when
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        order('storm', `buyer-${i}`, 1, i < 10 ? `storm-key-${i}` : undefined),
      ),
    );

    // then
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual(
      answers.map(() => [409, 'SOLD_OUT']),
    );
    expect(answers[0].body.message).toBe('Not enough tickets left for storm');
    // None, or the one request whose turn it was to ask again, had the burst come half a memory after "told".
    expect((await reserveCalls()) - before).toBeLessThanOrEqual(1);
    // Nothing was written for the keyed refusals: their keys are free, and the same request again asks again.
    expect(await stack.db.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'storm-key-%'`)).toEqual([]);
    const again = await order('storm', 'buyer-3', 1, 'storm-key-3').expect(409);
    expect(again.body.code).toBe('SOLD_OUT');
  });

  it('given a sale sold out from memory, when buyers without a key or with a fresh key order, then their 409 is answered before the controller, counted and timed as any; a key already answered still goes through and gets its 202', async () => {
    // given
    await putSale(stack.inventory, 'early', { totalStock: 1 });
    const won = await order('early', 'winner', 1, 'early-winner').expect(202);
    await order('early', 'told').expect(409);
    const placing = jest.spyOn(stack.app.get(OrdersService), 'place');
    const before = await scrapeMetrics(stack);

    // when
    const keyless = await order('early', 'keyless');
    const fresh = await order('early', 'fresh', 1, 'early-fresh');
    const replayed = await order('early', 'winner', 1, 'early-winner');
    const placed = placing.mock.calls.length;
    placing.mockRestore();

    // then
    for (const refused of [keyless, fresh]) {
      expect([refused.status, refused.body]).toEqual([
        409,
        { code: 'SOLD_OUT', message: expect.any(String) },
      ]);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
    }
    expect([replayed.status, replayed.body]).toEqual([202, won.body]);
    expect(placed).toBe(1); // the replay only
    const after = await scrapeMetrics(stack);
    const grew = (name: string, labels: Record<string, string>) =>
      (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(grew('boxoffice_orders_refused_total', { code: 'SOLD_OUT' })).toBe(2);
    expect(
      grew('boxoffice_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/orders',
        status: '409',
      }),
    ).toBe(2);
  });

  it('given a key answered 202, when it comes again while its sale is answered sold out from memory, then its 202, not a 409', async () => {
    // given
    await putSale(stack.inventory, 'kept', { totalStock: 1 });
    const first = await order('kept', 'winner', 1, 'kept-winner').expect(202);
    await order('kept', 'told').expect(409);

    // when
    const again = await order('kept', 'winner', 1, 'kept-winner');
    const reused = await order('kept', 'winner', 2, 'kept-winner');

    // then
    expect([again.status, again.body]).toEqual([202, first.body]);
    expect([reused.status, reused.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('given a sold-out storm that outlasts the memory, when 20 buyers at a time (half with keys) keep ordering, then inventory is asked about twice per ORDER_SOLD_OUT_MEMORY_MS, not once per buyer in flight', async () => {
    // given
    await putSale(stack.inventory, 'long', { totalStock: 1 });
    await order('long', 'first').expect(202);
    await order('long', 'told').expect(409);
    const before = await reserveCalls();

    // when: for 2.5 memories, 20 buyers each ordering again as soon as answered
    const started = performance.now();
    const statuses = new Set<number>();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, buyer) => {
        while (performance.now() - started < 2.5 * MEMORY_MS) {
          const key = buyer % 2 ? `long-${++sent}` : undefined;
          statuses.add((await order('long', `buyer-${buyer}`, 1, key)).status);
        }
      }),
    );
    const lasted = performance.now() - started;

    // then: one request asks from half the memory on; the others are answered meanwhile
    expect([...statuses]).toEqual([409]);
    const asked = (await reserveCalls()) - before;
    expect(asked).toBeGreaterThanOrEqual(Math.floor(lasted / MEMORY_MS));
    expect(asked).toBeLessThanOrEqual(Math.ceil(lasted / (MEMORY_MS / 2)) + 1);
  });

  it('given a sale sold out for 2 tickets, when 1 is asked, then inventory is asked and sells it', async () => {
    // given
    await putSale(stack.inventory, 'pair', { totalStock: 1 });
    await order('pair', 'duo', 2).expect(409);

    // when / then
    await order('pair', 'solo', 1).expect(202);
  });

  it('given a sold-out sale, when stock is added, then a buyer is accepted within ORDER_SOLD_OUT_MEMORY_MS', async () => {
    // given
    await putSale(stack.inventory, 'more', { totalStock: 1 });
    await order('more', 'first').expect(202);
    await order('more', 'late').expect(409);

    // when
    await putSale(stack.inventory, 'more', { totalStock: 2 });
    const added = performance.now();

    // then
    await eventually(async () => (await order('more', 'late')).status === 202, {
      timeoutMs: MEMORY_MS + 2000,
      intervalMs: 50,
      what: 'the added ticket on sale',
    });
    expect(performance.now() - added).toBeLessThan(MEMORY_MS + 2000);
  });

  it('given a sold-out sale, when this instance releases a hold (payment declined), then the ticket is on sale at once', async () => {
    // given
    await putSale(stack.inventory, 'back', { totalStock: 1 });
    const taken: OrderView = (await order('back', 'first').expect(202)).body;
    await order('back', 'waiting').expect(409);

    // when
    await publishPaymentResult(stack, {
      orderId: taken.orderId,
      paymentId: 'pay-first',
      status: 'failed',
      reason: 'card_declined',
    });
    await eventually(
      async () => (await stack.http().get(`/orders/${taken.orderId}`)).body.status === 'CANCELLED',
      { what: 'the first order CANCELLED, its hold released' },
    );

    // then: the first try, well within the memory's 1 s
    await order('back', 'waiting').expect(202);
  });
});
