import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import { type OrderTestApp, publishPaymentResult, startOrderStack } from '../order.test-app';

/**
 * The room follows its sale's stock (docs/contract.md §2): order reads inventory's ledger every second and the room
 * stands while no ticket is available, telling its queue once none is held either. Real inventory, Redis, Postgres;
 * the test's broker stands in for payment. Without buyer tokens: the body's userId is the buyer.
 */
describe('The waiting room follows its sale’s stock (e2e: real inventory, Redis, Postgres, RabbitMQ)', () => {
  let stack: OrderTestApp;

  const putRoom = (eventId: string, admitPerSecond: number) =>
    stack
      .http()
      .put(`/events/${eventId}/waiting-room`)
      .set(AS_ADMIN)
      .send({ enabled: true, admitPerSecond })
      .expect(200);
  const status = async (eventId: string) =>
    (await stack.http().get(`/events/${eventId}/waiting-room`).expect(200)).body;
  const enter = (eventId: string, userId: string) =>
    stack.http().post(`/events/${eventId}/waiting-room/entries`).send({ userId });
  const look = async (eventId: string, entryId: string) =>
    (await stack.http().get(`/events/${eventId}/waiting-room/entries/${entryId}`).expect(200)).body;
  const stockIs = (eventId: string, stock: string) =>
    eventually(async () => (await status(eventId)).stock === stock, {
      what: `the room reading ${stock}`,
      timeoutMs: 5_000,
    });

  beforeAll(async () => {
    stack = await startOrderStack('room_stock');
  });
  afterAll(() => stack?.close());

  it('given a room on a sale with tickets, and one on a sale not made yet, when their stock is read, then on_sale and unknown', async () => {
    await putSale(stack.inventory, 'stocked', { totalStock: 5 });
    await putRoom('stocked', 10);
    await putRoom('unmade', 10);

    await stockIs('stocked', 'on_sale');
    expect((await status('unmade')).stock).toBe('unknown');
  });

  it('given buyers queued at 1 a second, when the sale is left with no ticket, then a waiting buyer is told sold out, a new one is refused 409 SOLD_OUT, an admitted one keeps its token; when tickets are added, buyers queue again', async () => {
    await putSale(stack.inventory, 'emptied', { totalStock: 5 });
    await putRoom('emptied', 1);
    const first = (await enter('emptied', 'first').expect(201)).body;
    for (let i = 0; i < 20; i++) await enter('emptied', `middle-${i}`).expect(201);
    const last = (await enter('emptied', 'last').expect(201)).body; // 22nd: not let in for 20 s
    const admitted = await eventually(
      async () => {
        const entry = await look('emptied', first.entryId);
        return entry.admitted === true && entry;
      },
      { what: 'the first buyer admitted' },
    );

    // when: nothing held or sold, the operator takes every ticket off sale
    await putSale(stack.inventory, 'emptied', { totalStock: 0 });
    await stockIs('emptied', 'sold_out');

    // then
    expect(await look('emptied', last.entryId)).toEqual({
      entryId: last.entryId,
      admitted: false,
      soldOut: true,
    });
    const refused = await enter('emptied', 'newcomer').expect(409);
    expect(refused.body.code).toBe('SOLD_OUT');
    expect(await look('emptied', first.entryId)).toEqual(admitted);
    await putSale(stack.inventory, 'emptied', { totalStock: 10 });
    await stockIs('emptied', 'on_sale');
    const again = (await enter('emptied', 'newcomer').expect(201)).body;
    expect(again.position).toBe(23);
  });

  it('given a sale sold out, when its room is turned on, then it says so at once: no entry is made', async () => {
    await putSale(stack.inventory, 'gone', { totalStock: 0 });

    await putRoom('gone', 1000);

    expect((await status('gone')).stock).toBe('sold_out');
    expect((await enter('gone', 'early').expect(409)).body.code).toBe('SOLD_OUT');
  });

  it('given the one ticket held by an admitted buyer’s order, when another buyer waits, then it is not let in while the ticket is held (all_held), and is once the card is declined and the ticket comes back', async () => {
    await putSale(stack.inventory, 'scarce', { totalStock: 1 });
    await putRoom('scarce', 100);
    await stockIs('scarce', 'on_sale');
    const first = (await enter('scarce', 'holder').expect(201)).body;
    const token = await eventually(
      async () => {
        const entry = await look('scarce', first.entryId);
        return entry.admitted === true && (entry.admissionToken as string);
      },
      { what: 'the holder admitted' },
    );
    const placed = await stack
      .http()
      .post('/orders')
      .set({ 'admission-token': token })
      .send({ eventId: 'scarce', userId: 'holder', quantity: 1 })
      .expect(202);
    await stockIs('scarce', 'all_held');

    // when: another buyer queues while the ticket is held
    const waiting = (await enter('scarce', 'hopeful').expect(201)).body;
    const looks = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500)); // four looks over two seconds, 100 a second
      looks.push(await look('scarce', waiting.entryId));
    }

    // then: it stands; the declined card gives the ticket back and the buyer is let in
    expect(looks.every((entry) => entry.admitted === undefined && entry.position > 0)).toBe(true);
    await publishPaymentResult(stack, {
      orderId: placed.body.orderId,
      paymentId: 'pay-holder',
      status: 'failed',
    });
    await eventually(async () => (await look('scarce', waiting.entryId)).admitted === true, {
      what: 'the hopeful buyer let in once the ticket came back',
      timeoutMs: 10_000,
    });
  });
});
