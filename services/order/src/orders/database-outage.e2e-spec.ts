import { eventually } from '@boxoffice/testing/eventually';
import { InventoryClient } from '../inventory-client/inventory.client';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { orderRows, OrderTestApp, startOrderStack } from '../order.test-app';

describe("Order's Postgres down while an order is taken (e2e: real inventory, Postgres behind a proxy, RabbitMQ)", () => {
  let stack: OrderTestApp;

  beforeAll(async () => {
    // A sale sold out stays so in order's memory for the test's length (keyed refusals read their keys).
    stack = await startOrderStack('order_db_down', {
      proxyPostgres: true,
      order: { ORDER_SOLD_OUT_MEMORY_MS: '10000' },
    });
    await putSale(stack.inventory, 'gala', { totalStock: 3 });
  });
  afterAll(() => stack?.close());

  it('given the stock was held, when the order cannot be recorded, then 503 with Retry-After, the hold is released and nothing is half-done', async () => {
    const client = stack.app.get(InventoryClient);
    const reserve = client.reserve.bind(client);
    jest.spyOn(client, 'reserve').mockImplementationOnce(async (request) => {
      const hold = await reserve(request);
      await stack.postgresProxy!.cut(); // the database goes away between the hold and the order's transaction
      return hold;
    });

    const response = await stack.http().post('/orders').send({ eventId: 'gala', userId: 'u1', quantity: 2 });

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('1');
    expect(await saleCounts(stack.inventory, 'gala')).toMatchObject({ available: 3, held: 0, sold: 0 });
    const holds = await stack.inventory.db.query(`SELECT status FROM reservations WHERE user_id = 'u1'`);
    expect(holds).toEqual([{ status: 'RELEASED' }]);

    await stack.postgresProxy!.restore();
    await eventually(async () => (await stack.http().get('/health')).status === 200, {
      what: 'order healthy again',
    });
    expect(await stack.db.query(`SELECT order_id FROM orders WHERE user_id = 'u1'`)).toEqual([]);
    expect(await stack.db.query('SELECT message_id FROM outbox')).toEqual([]);
    await stack.http().post('/orders').send({ eventId: 'gala', userId: 'u1', quantity: 2 }).expect(202);
  });

  it("given a sale sold out from memory, when the read of a keyed buyer's key loses its answer, then 503 UNAVAILABLE (the key may hold a 202), never 409, and nothing is written", async () => {
    // given
    await putSale(stack.inventory, 'lost-refusal', { totalStock: 0 });
    const body = (userId: string) => ({ eventId: 'lost-refusal', userId, quantity: 1 });
    await stack.http().post('/orders').send(body('told')).expect(409);
    const cut = stack.postgresProxy!.cutAfterClientSends(
      'FROM idempotency_keys WHERE key = ANY',
      'lost-refusal-',
    );

    // when
    const answer = await stack
      .http()
      .post('/orders')
      .set('Idempotency-Key', 'lost-refusal-ada')
      .send(body('ada'));

    // then
    await cut;
    expect([answer.status, answer.body.code, answer.headers['retry-after']]).toEqual([
      503,
      'UNAVAILABLE',
      '1',
    ]);
    await eventually(async () => (await stack.http().get('/health')).status === 200, {
      what: 'order healthy again',
    });
    expect(await stack.db.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'lost-refusal-%'`)).toEqual(
      [],
    );
    // Asked again, once Postgres answers: the key is read, found free, and the answer is the sale's.
    const again = await stack
      .http()
      .post('/orders')
      .set('Idempotency-Key', 'lost-refusal-ada')
      .send(body('ada'));
    expect([again.status, again.body.code]).toEqual([409, 'SOLD_OUT']);
  });

  describe("when the answer to the order transaction's COMMIT is lost (the connection dies after COMMIT was sent)", () => {
    const holdOf = async (orderId: string) =>
      (await stack.inventory.db.query('SELECT status FROM reservations WHERE order_id = $1', [orderId])).map(
        (row) => row.status,
      );

    it('given the COMMIT took effect, when its answer is lost, then 202 with the order, whose hold stays and whose order_created is published', async () => {
      await putSale(stack.inventory, 'lost-answer', { totalStock: 2 });
      const cut = stack.postgresProxy!.cutAfterClientSends('lost-answer-1', 'COMMIT');

      const response = await stack
        .http()
        .post('/orders')
        .send({ eventId: 'lost-answer', userId: 'lost-answer-1', quantity: 1 });

      await cut;
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 202, code: undefined });
      const { orderId } = response.body;
      expect(response.headers.location).toBe(`/orders/${orderId}`);
      expect(await orderRows(stack, { eventId: 'lost-answer' })).toEqual([
        { order_id: orderId, status: 'CREATED', version: 1, reason: null },
      ]);
      expect(await holdOf(orderId)).toEqual(['HELD']);
      await stack.broker.nextTapped('order_created', orderId);
    });

    it("given an Idempotency-Key, when the COMMIT's answer is lost, then 202, and the key replays that order", async () => {
      await putSale(stack.inventory, 'lost-answer-key', { totalStock: 2 });
      const body = { eventId: 'lost-answer-key', userId: 'lost-answer-2', quantity: 1 };
      const cut = stack.postgresProxy!.cutAfterClientSends('lost-answer-2', 'COMMIT');

      const response = await stack.http().post('/orders').set('Idempotency-Key', 'lost-2').send(body);

      await cut;
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 202, code: undefined });
      const again = await stack
        .http()
        .post('/orders')
        .set('Idempotency-Key', 'lost-2')
        .send(body)
        .expect(202);
      expect(again.body).toEqual(response.body);
      expect(await orderRows(stack, { eventId: 'lost-answer-key' })).toEqual([
        expect.objectContaining({ order_id: response.body.orderId, status: 'CREATED' }),
      ]);
      expect(await holdOf(response.body.orderId)).toEqual(['HELD']);
    });

    it('given Postgres unreachable right after the COMMIT took effect, when the order is taken, then 504 OUTCOME_UNKNOWN with Location, the hold stays, and once Postgres is back the order is there and the key replays it', async () => {
      await putSale(stack.inventory, 'lost-answer-down', { totalStock: 2 });
      const body = { eventId: 'lost-answer-down', userId: 'lost-answer-3', quantity: 1 };
      const proxy = stack.postgresProxy!;
      const down = proxy.cutAfterClientSends('lost-answer-3', 'COMMIT').then(() => proxy.cut());

      const response = await stack.http().post('/orders').set('Idempotency-Key', 'lost-3').send(body);

      await down;
      expect({ status: response.status, code: response.body.code }).toEqual({
        status: 504,
        code: 'OUTCOME_UNKNOWN',
      });
      expect(response.headers['retry-after']).toBeUndefined();
      const orderId = /^\/orders\/(.+)$/.exec(response.headers.location)![1];
      expect(await holdOf(orderId)).toEqual(['HELD']);

      await proxy.restore();
      const read = await eventually(
        async () => {
          const got = await stack.http().get(response.headers.location);
          return got.status === 200 && got;
        },
        { what: 'the order readable at Location' },
      );
      expect(read.body).toMatchObject({ orderId, status: 'CREATED' });
      const again = await stack
        .http()
        .post('/orders')
        .set('Idempotency-Key', 'lost-3')
        .send(body)
        .expect(202);
      expect(again.body).toEqual(read.body);
      expect(await holdOf(orderId)).toEqual(['HELD']);
      await stack.broker.nextTapped('order_created', orderId);
    });
  });
});
