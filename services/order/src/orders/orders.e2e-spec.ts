import { parseOrderCreated } from '@boxoffice/contracts/order/order-created.message';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { orderRows, OrderTestApp, outboxRows, startOrderStack } from '../order.test-app';

describe('Orders API (e2e: real inventory, Postgres, Redis, RabbitMQ)', () => {
  let stack: OrderTestApp;
  const order = (body: object, idempotencyKey?: string) => {
    const call = stack.http().post('/orders');
    return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send(body);
  };
  const countOf = async (table: 'orders' | 'outbox') =>
    ((await stack.db.query(`SELECT count(*)::int AS count FROM ${table}`)) as [{ count: number }])[0].count;

  beforeAll(async () => {
    stack = await startOrderStack('orders', { proxyInventory: true, proxyRabbitmq: true });
    await putSale(stack.inventory, 'gig', {
      totalStock: 20,
      perUserLimit: 4,
      unitPrice: 4200,
      currency: 'EUR',
    });
    await putSale(stack.inventory, 'tiny', { totalStock: 1 });
  });
  afterAll(() => stack?.close());

  it('given a sale, when a buyer orders, then 202 with Location and the CREATED order, recorded with its order_created in one go', async () => {
    const before = await saleCounts(stack.inventory, 'gig');

    const response = await order({ eventId: 'gig', userId: 'alice', quantity: 2 }).expect(202);

    const { body } = response;
    expect(response.headers.location).toBe(`/orders/${body.orderId}`);
    expect(body).toEqual({
      orderId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventId: 'gig',
      userId: 'alice',
      quantity: 2,
      amount: 8400,
      currency: 'EUR',
      status: 'CREATED',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Math.abs(Date.parse(body.createdAt) - Date.now())).toBeLessThan(10_000);
    expect(await orderRows(stack, { orderId: body.orderId })).toEqual([
      { order_id: body.orderId, status: 'CREATED', version: 1, reason: null },
    ]);
    const outbox = await outboxRows(stack, body.orderId);
    expect(outbox).toEqual([expect.objectContaining({ routing_key: 'order_created' })]);
    const hold = await stack.inventory.http().get(`/reservations/${body.orderId}`).expect(200);
    expect(hold.body).toMatchObject({ orderId: body.orderId, quantity: 2, status: 'HELD' });
    expect(await saleCounts(stack.inventory, 'gig')).toMatchObject({
      available: before.available - 2,
      held: before.held + 2,
      sold: before.sold,
    });
  });

  it('given an accepted order, then order_created is published once with the contract §5 properties (docs/contract.md) and tok_visa by default', async () => {
    const { body } = await order({ eventId: 'gig', userId: 'bob', quantity: 1 }).expect(202);

    const message = await stack.broker.nextTapped('order_created', body.orderId);

    const [row] = await eventually(
      async () => {
        const rows = await outboxRows(stack, body.orderId);
        return rows[0]?.sent_at && rows;
      },
      { what: 'outbox row marked sent' },
    );
    expect(message.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: row.message_id,
      correlationId: body.orderId,
      type: 'order_created',
    });
    expect(() => parseOrderCreated(message.payload)).not.toThrow();
    expect(message.payload).toEqual({
      version: 1,
      orderId: body.orderId,
      eventId: 'gig',
      userId: 'bob',
      quantity: 1,
      amount: 4200,
      currency: 'EUR',
      paymentToken: 'tok_visa',
      createdAt: body.createdAt,
    });
    expect(await stack.broker.tapped('order_created', body.orderId)).toHaveLength(1);
  });

  it('given a payment token, when ordering, then order_created carries it', async () => {
    const { body } = await order({
      eventId: 'gig',
      userId: 'carol',
      quantity: 1,
      paymentToken: 'tok_chargeDeclined',
    }).expect(202);

    const message = await stack.broker.nextTapped('order_created', body.orderId);

    expect(message.payload).toMatchObject({ orderId: body.orderId, paymentToken: 'tok_chargeDeclined' });
  });

  it('given an order, when it is read, then GET /orders/{id} returns it; an unknown id is 404 ORDER_NOT_FOUND', async () => {
    const { body: placed } = await order({ eventId: 'gig', userId: 'dave', quantity: 1 }).expect(202);

    const { body } = await stack.http().get(`/orders/${placed.orderId}`).expect(200);

    expect(body).toEqual(placed);
    const missing = await stack.http().get('/orders/no-such-order').expect(404);
    expect(missing.body).toEqual({ code: 'ORDER_NOT_FOUND', message: expect.any(String) });
    expect((await stack.http().get('/orders/bad%20id').expect(400)).body.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    { refusal: '409 SOLD_OUT', eventId: 'tiny', quantity: 2, status: 409, code: 'SOLD_OUT' },
    {
      refusal: '404 EVENT_NOT_FOUND',
      eventId: 'no-such-gig',
      quantity: 1,
      status: 404,
      code: 'EVENT_NOT_FOUND',
    },
    {
      refusal: '422 PURCHASE_LIMIT_EXCEEDED',
      eventId: 'gig',
      quantity: 5,
      status: 422,
      code: 'PURCHASE_LIMIT_EXCEEDED',
    },
  ])(
    'given a request inventory refuses, when ordering, then $refusal passes through and no order is recorded',
    async ({ eventId, quantity, status, code }) => {
      const before = { orders: await countOf('orders'), outbox: await countOf('outbox') };
      const sales = {
        gig: await saleCounts(stack.inventory, 'gig'),
        tiny: await saleCounts(stack.inventory, 'tiny'),
      };

      const { body } = await order({ eventId, userId: 'erin', quantity }).expect(status);

      expect(body).toEqual({ code, message: expect.any(String) });
      expect({ orders: await countOf('orders'), outbox: await countOf('outbox') }).toEqual(before);
      expect(await stack.db.query(`SELECT order_id FROM orders WHERE user_id = 'erin'`)).toEqual([]);
      expect({
        gig: await saleCounts(stack.inventory, 'gig'),
        tiny: await saleCounts(stack.inventory, 'tiny'),
      }).toEqual(sales);
    },
  );

  it('given bad bodies, when ordering, then 400 VALIDATION_FAILED lists each bad field and nothing is recorded', async () => {
    const before = { orders: await countOf('orders'), sale: await saleCounts(stack.inventory, 'gig') };
    const fieldsOf = (body: { details: Array<{ field: string }> }) =>
      body.details.map((detail) => detail.field).sort();

    const bad = await order({ eventId: 'gig', userId: 'bad id!', quantity: '2', admin: true }).expect(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(fieldsOf(bad.body)).toEqual(['admin', 'quantity', 'userId']);
    for (const detail of bad.body.details) expect(detail.messages.length).toBeGreaterThan(0);

    expect(fieldsOf((await order({}).expect(400)).body)).toEqual(['eventId', 'quantity']);
    // Without a buyer's token (none is set up here) the body names the buyer: it is required, once the rest is valid.
    expect(fieldsOf((await order({ eventId: 'gig', quantity: 1 }).expect(400)).body)).toEqual(['userId']);
    expect(
      fieldsOf(
        (await order({ eventId: 'gig', userId: 'u', quantity: 0, paymentToken: 'visa' }).expect(400)).body,
      ),
    ).toEqual(['paymentToken', 'quantity']);
    expect(fieldsOf((await order({ eventId: 'gig', userId: 'u', quantity: 1.5 }).expect(400)).body)).toEqual([
      'quantity',
    ]);
    const notJson = await stack
      .http()
      .post('/orders')
      .set('content-type', 'application/json')
      .send('{"eventId":')
      .expect(400);
    expect(notJson.body.code).toBe('VALIDATION_FAILED');
    await stack.http().post('/orders').set('content-type', 'text/plain').send('hello').expect(415);

    expect({ orders: await countOf('orders'), sale: await saleCounts(stack.inventory, 'gig') }).toEqual(
      before,
    );
  });

  it('given inventory unreachable, when ordering, then 503 UNAVAILABLE with Retry-After, nothing is recorded, and the same key succeeds later', async () => {
    const before = { orders: await countOf('orders'), sale: await saleCounts(stack.inventory, 'gig') };
    await stack.inventoryProxy!.cut();

    const refused = await order({ eventId: 'gig', userId: 'frank', quantity: 1 }, 'frank-1').expect(503);

    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) });
    expect(await countOf('orders')).toBe(before.orders);
    await stack.inventoryProxy!.restore();
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before.sale);
    // A 503 is not an answer to remember: the client's retry with the same key goes through.
    const { body } = await order({ eventId: 'gig', userId: 'frank', quantity: 1 }, 'frank-1').expect(202);
    expect(body).toMatchObject({ userId: 'frank', status: 'CREATED' });
    expect(await countOf('orders')).toBe(before.orders + 1);
  });

  it('given a hold taken but its answer lost and inventory gone before the hold could be released, when the buyer retries with the same key, then 202 with that hold, not a 422 from its own orphan hold', async () => {
    // given: 3 of a sale of at most 4 a buyer; inventory holds them, then becomes unreachable before answering
    await putSale(stack.inventory, 'orphan', { totalStock: 10, perUserLimit: 4 });
    const body = { eventId: 'orphan', userId: 'hana', quantity: 3 };
    const proxy = stack.inventoryProxy!;
    const gone = proxy.cutAfterClientSends('/reservations', '"userId":"hana"').then(() => proxy.cut());
    const refused = await order(body, 'hana-1');
    await gone;
    expect(refused.body.code).toBe('UNAVAILABLE');
    const holdsOfHana = (): Promise<Array<{ order_id: string; status: string }>> =>
      stack.inventory.db.query(`SELECT order_id, status FROM reservations WHERE user_id = 'hana'`);
    const [orphan] = await eventually(
      async () => {
        const holds = await holdsOfHana();
        return holds.length > 0 && holds;
      },
      { what: "hana's hold in inventory" },
    );
    expect(orphan.status).toBe('HELD');

    // when
    await proxy.restore();
    const retried = await order(body, 'hana-1');

    // then: the retry takes the order under the id of the hold it already has
    expect({ status: retried.status, code: retried.body.code }).toEqual({ status: 202, code: undefined });
    expect(retried.body.orderId).toBe(orphan.order_id);
    expect(await holdsOfHana()).toEqual([{ order_id: orphan.order_id, status: 'HELD' }]);
    expect((await order(body, 'hana-1').expect(202)).body).toEqual(retried.body);
  });

  it('given RabbitMQ unreachable, when ordering, then 202 and order_created waits in the outbox until the broker is back', async () => {
    const relay = stack.app.get(OutboxRelay);
    const relayBatch = relay.relayBatch.bind(relay);
    let failedRelays = 0;
    const spy = jest
      .spyOn(relay, 'relayBatch')
      .mockImplementation(() =>
        relayBatch().catch((error: unknown) => (failedRelays++, Promise.reject(error))),
      );
    try {
      await stack.rabbitProxy!.cut();

      const { body } = await order({ eventId: 'gig', userId: 'grace', quantity: 1 }).expect(202);

      expect(body.status).toBe('CREATED');
      const failedBefore = failedRelays;
      await eventually(() => failedRelays > failedBefore, {
        what: 'a relay attempt failed',
        timeoutMs: 10_000,
      });
      expect((await outboxRows(stack, body.orderId)).map((row) => row.sent_at)).toEqual([null]);
      expect(await stack.broker.tapped('order_created', body.orderId)).toEqual([]);
      expect((await stack.http().get(`/orders/${body.orderId}`).expect(200)).body.status).toBe('CREATED');

      await stack.rabbitProxy!.restore();

      const message = await stack.broker.nextTapped('order_created', body.orderId, 20_000);
      expect(message.properties.correlationId).toBe(body.orderId);
      await eventually(async () => (await relay.pending()) === 0, { what: 'outbox drained' });
      expect((await outboxRows(stack, body.orderId))[0].sent_at).not.toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
