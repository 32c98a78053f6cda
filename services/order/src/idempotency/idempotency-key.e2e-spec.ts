import { DomainError } from '@boxoffice/errors/domain-error';
import { InventoryClient } from '../inventory-client/inventory.client';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { OrderTestApp, startOrderStack } from '../order.test-app';
import { orderNotTaken } from '../request/order-id-claim';
import { OrderSaga } from '../saga/order-saga';
import { IdempotencyKeyRetention } from './idempotency-key-retention';
import { claimIdempotencyKeys } from './idempotency-keys';

describe('POST /orders with an Idempotency-Key (e2e: real inventory, Postgres, Redis, RabbitMQ)', () => {
  let stack: OrderTestApp;
  const order = (body: object, idempotencyKey: string) =>
    stack.http().post('/orders').set('Idempotency-Key', idempotencyKey).send(body);
  const ordersOf = async (userId: string): Promise<Array<{ order_id: string; status: string }>> =>
    stack.db.query('SELECT order_id, status FROM orders WHERE user_id = $1', [userId]);
  const holdsOf = async (userId: string): Promise<Array<{ order_id: string; quantity: number }>> =>
    stack.inventory.db.query('SELECT order_id, quantity FROM reservations WHERE user_id = $1', [userId]);
  const keyRows = async (key: string) =>
    stack.db.query('SELECT key, response_status FROM idempotency_keys WHERE key = $1', [key]);
  const outboxOf = async (orderId: string) =>
    stack.db.query('SELECT message_id FROM outbox WHERE correlation_id = $1', [orderId]);

  beforeAll(async () => {
    // Keys only: a sale's stock added is on sale at once, not after the sold-out memory (its own spec).
    stack = await startOrderStack('idem_key', { order: { ORDER_SOLD_OUT_MEMORY_MS: '0' } });
    await putSale(stack.inventory, 'gig', { totalStock: 50, perUserLimit: 4, unitPrice: 2500 });
  });
  afterAll(() => stack?.close());
  afterEach(() => jest.restoreAllMocks());

  it('given an accepted order, when the same key and body come again, then the same 202 and order, and no second hold', async () => {
    const body = { eventId: 'gig', userId: 'alice', quantity: 2 };
    const first = await order(body, 'alice-key').expect(202);
    const counts = await saleCounts(stack.inventory, 'gig');

    const again = await order(body, 'alice-key').expect(202);

    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(`/orders/${first.body.orderId}`);
    expect(await ordersOf('alice')).toEqual([{ order_id: first.body.orderId, status: 'CREATED' }]);
    expect(await holdsOf('alice')).toEqual([{ order_id: first.body.orderId, quantity: 2 }]);
    expect(await outboxOf(first.body.orderId)).toHaveLength(1);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(counts);
  });

  it('given an accepted order, when the same body comes again with its fields in another order and the default token spelled out, then it is the same request', async () => {
    const first = await order({ eventId: 'gig', userId: 'bea', quantity: 1 }, 'bea-key').expect(202);

    const again = await order(
      { paymentToken: 'tok_visa', quantity: 1, userId: 'bea', eventId: 'gig' },
      'bea-key',
    );

    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await ordersOf('bea')).toHaveLength(1);
  });

  it('given claims asked together (two racing with one key, one for a key claimed before, one new), when claimed in one batch, then each gets the record that stands for its key', async () => {
    // given
    await claimIdempotencyKeys(stack.db.manager, [
      { key: 'batch-old', requestHash: 'a'.repeat(64), resourceId: 'o-old' },
    ]);

    // when
    const records = await claimIdempotencyKeys(stack.db.manager, [
      { key: 'batch-twin', requestHash: 'b'.repeat(64), resourceId: 'o-twin-1' },
      { key: 'batch-old', requestHash: 'c'.repeat(64), resourceId: 'o-old-again' },
      { key: 'batch-twin', requestHash: 'b'.repeat(64), resourceId: 'o-twin-2' },
      { key: 'batch-new', requestHash: 'd'.repeat(64), resourceId: 'o-new' },
    ]);

    // then: the twins share the one id that won, the old key keeps its first request, the new key is this one's
    const [twin1, old, twin2, fresh] = records;
    expect(twin1).toEqual(twin2);
    expect(['o-twin-1', 'o-twin-2']).toContain(twin1!.resourceId);
    expect(old).toMatchObject({ key: 'batch-old', requestHash: 'a'.repeat(64), resourceId: 'o-old' });
    expect(fresh).toEqual({ key: 'batch-new', requestHash: 'd'.repeat(64), resourceId: 'o-new' });
    expect(
      await stack.db.query(
        `SELECT key, resource_id FROM idempotency_keys WHERE key LIKE 'batch-%' ORDER BY key`,
      ),
    ).toEqual([
      { key: 'batch-new', resource_id: 'o-new' },
      { key: 'batch-old', resource_id: 'o-old' },
      { key: 'batch-twin', resource_id: twin1!.resourceId },
    ]);
  });

  it('given 10 requests racing with one key, then all answer the same 202 and exactly one order and one hold exist', async () => {
    const body = { eventId: 'gig', userId: 'carl', quantity: 3 };
    const before = await saleCounts(stack.inventory, 'gig');

    const responses = await Promise.all(Array.from({ length: 10 }, () => order(body, 'carl-race')));

    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202));
    const [first] = responses;
    for (const response of responses) {
      expect(response.body).toEqual(first.body);
      expect(response.headers.location).toBe(`/orders/${first.body.orderId}`);
    }
    expect(await ordersOf('carl')).toEqual([{ order_id: first.body.orderId, status: 'CREATED' }]);
    expect(await holdsOf('carl')).toEqual([{ order_id: first.body.orderId, quantity: 3 }]);
    expect(await outboxOf(first.body.orderId)).toHaveLength(1);
    expect(await saleCounts(stack.inventory, 'gig')).toMatchObject({
      available: before.available - 3,
      held: before.held + 3,
    });
    await stack.broker.nextTapped('order_created', first.body.orderId);
    expect(await stack.broker.tapped('order_created', first.body.orderId)).toHaveLength(1);
  });

  it('given a used key, when it comes with a different body, then 422 IDEMPOTENCY_KEY_REUSED and nothing changes', async () => {
    const first = await order({ eventId: 'gig', userId: 'dora', quantity: 1 }, 'dora-key').expect(202);
    const counts = await saleCounts(stack.inventory, 'gig');

    const reused = await order({ eventId: 'gig', userId: 'dora', quantity: 2 }, 'dora-key').expect(422);
    const otherToken = await order(
      { eventId: 'gig', userId: 'dora', quantity: 1, paymentToken: 'tok_chargeDeclined' },
      'dora-key',
    ).expect(422);

    expect(reused.body).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) });
    expect(otherToken.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await ordersOf('dora')).toEqual([{ order_id: first.body.orderId, status: 'CREATED' }]);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(counts);
    // The key still answers its first request.
    expect(
      (await order({ eventId: 'gig', userId: 'dora', quantity: 1 }, 'dora-key').expect(202)).body,
    ).toEqual(first.body);
  });

  it('given a key answered 409 SOLD_OUT by inventory, when stock is added and the request comes again, then it is asked again and accepted: the refusal was never stored', async () => {
    // given
    await putSale(stack.inventory, 'encore', { totalStock: 1 });
    const body = { eventId: 'encore', userId: 'eve', quantity: 2 };
    const first = await order(body, 'eve-key').expect(409);
    expect(first.body.code).toBe('SOLD_OUT');
    expect(await keyRows('eve-key')).toEqual([]);

    // when
    await putSale(stack.inventory, 'encore', { totalStock: 10 });
    const again = await order(body, 'eve-key').expect(202);

    // then
    expect(await ordersOf('eve')).toEqual([{ order_id: again.body.orderId, status: 'CREATED' }]);
    expect(await holdsOf('eve')).toEqual([{ order_id: again.body.orderId, quantity: 2 }]);
    // From now on the key has an order: its 202 is what it answers, and another body is refused.
    expect((await order(body, 'eve-key').expect(202)).body).toEqual(again.body);
    await order({ ...body, quantity: 1 }, 'eve-key').expect(422);
  });

  it('given a key answered 422 PURCHASE_LIMIT_EXCEEDED, when the request comes again with another body, then it is a new request, not IDEMPOTENCY_KEY_REUSED', async () => {
    // given (the sale's perUserLimit is 4)
    const refused = await order({ eventId: 'gig', userId: 'hugo', quantity: 5 }, 'hugo-key').expect(422);
    expect(refused.body.code).toBe('PURCHASE_LIMIT_EXCEEDED');

    // when
    const accepted = await order({ eventId: 'gig', userId: 'hugo', quantity: 4 }, 'hugo-key');

    // then
    expect(accepted.status).toBe(202);
    expect(await ordersOf('hugo')).toEqual([{ order_id: accepted.body.orderId, status: 'CREATED' }]);
  });

  it.each([
    { what: '300 characters', key: 'k'.repeat(300) },
    { what: 'empty', key: '' },
    { what: 'not ASCII', key: 'clé' },
    { what: 'holding a tab', key: 'a\tb' },
  ])(
    'given an Idempotency-Key that is $what, when ordering, then 400 VALIDATION_FAILED names it and nothing happens',
    async ({ key }) => {
      const counts = await saleCounts(stack.inventory, 'gig');

      const { body } = await order({ eventId: 'gig', userId: 'fred', quantity: 1 }, key).expect(400);

      expect(body).toEqual({
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: [{ field: 'Idempotency-Key', messages: [expect.any(String)] }],
      });
      expect(await ordersOf('fred')).toEqual([]);
      expect(await saleCounts(stack.inventory, 'gig')).toEqual(counts);
    },
  );

  it('given a key of 255 printable characters, when ordering, then it is accepted', async () => {
    await order({ eventId: 'gig', userId: 'gina', quantity: 1 }, `k ${'~'.repeat(252)}!`).expect(202);
    expect(await ordersOf('gina')).toHaveLength(1);
  });

  it('given two requests with one key, when the first loses its inventory answer after the second was accepted, then both answer that 202 and the hold stays', async () => {
    const body = { eventId: 'gig', userId: 'dana', quantity: 1 };
    const client = stack.app.get(InventoryClient);
    const reserve = client.reserve.bind(client);
    let secondAnswered!: () => void;
    const second = new Promise<void>((resolve) => (secondAnswered = resolve));
    const lost = jest.spyOn(client, 'reserve').mockImplementationOnce(async (request) => {
      await reserve(request); // the hold is taken, but this request will not hear it
      await second;
      throw new DomainError('UNAVAILABLE', 'inventory did not answer: timeout');
    });

    const first = order(body, 'dana-key').then((response) => response); // sent now, not when awaited
    await eventually(() => lost.mock.calls.length === 1, { what: 'the first request at inventory' });
    const accepted = await order(body, 'dana-key').expect(202);
    secondAnswered();
    const late = await first;

    expect(late.status).toBe(202);
    expect(late.body).toEqual(accepted.body);
    expect(await ordersOf('dana')).toEqual([{ order_id: accepted.body.orderId, status: 'CREATED' }]);
    const [hold] = await stack.inventory.db.query('SELECT status FROM reservations WHERE order_id = $1', [
      accepted.body.orderId,
    ]);
    expect(hold).toEqual({ status: 'HELD' });
  });

  it('given two requests with one key, when inventory refuses the first and holds for the second after the first freed the key, then the second is 503 and its hold goes back at once', async () => {
    // given: both requests share the key's order id; inventory refuses one, and holds for the other only later
    const body = { eventId: 'gig', userId: 'ivan', quantity: 1 };
    const client = stack.app.get(InventoryClient);
    const reserve = client.reserve.bind(client);
    let refusedAnswered!: () => void;
    const refusedAnswer = new Promise<void>((resolve) => (refusedAnswered = resolve));
    const calls: string[] = [];
    jest.spyOn(client, 'reserve').mockImplementation(async (request, signal) => {
      calls.push(request.orderId);
      if (calls.length === 1) {
        await eventually(() => calls.length === 2, { what: 'the second request at inventory' });
        throw new DomainError('SOLD_OUT', 'Not enough tickets left for gig');
      }
      await refusedAnswer;
      return reserve(request, signal);
    });
    const before = await saleCounts(stack.inventory, 'gig');

    // when
    const racing = [order(body, 'ivan-key'), order(body, 'ivan-key')].map((sent) =>
      sent.then((response) => {
        if (response.status === 409) refusedAnswered();
        return response;
      }),
    );
    const answers = await Promise.all(racing);

    // then
    expect(answers.map((answer) => answer.status).sort()).toEqual([409, 503]);
    expect(calls[0]).toBe(calls[1]); // one order id for both
    const holds = await stack.inventory.db.query('SELECT status FROM reservations WHERE order_id = $1', [
      calls[0],
    ]);
    expect(holds).toEqual([{ status: 'RELEASED' }]);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before);
    expect(await ordersOf('ivan')).toEqual([]);
  });

  it("given an attempt that failed after taking its hold, when its hold is released, then neither a transaction nor the key's row lock spans the call, a racing request with the key gets 503, and the key is free after", async () => {
    // given: the order could not be recorded (a 503), so the attempt gives its hold and its key back
    const body = { eventId: 'gig', userId: 'erin', quantity: 1 };
    jest.spyOn(stack.app.get(OrderSaga), 'record').mockRejectedValueOnce(orderNotTaken('test'));
    const client = stack.app.get(InventoryClient);
    const release = client.release.bind(client);
    const during: { keyLocked?: boolean; racing?: { status: number; code?: string } } = {};
    jest.spyOn(client, 'release').mockImplementationOnce(async (orderId, eventId) => {
      const locking = stack.db.query(
        `SELECT key FROM idempotency_keys WHERE key = 'erin-key' FOR UPDATE NOWAIT`,
      );
      during.keyLocked = await locking.then(
        () => false,
        () => true,
      );
      const racing = await order(body, 'erin-key');
      during.racing = { status: racing.status, code: racing.body.code };
      return release(orderId, eventId);
    });

    // when
    const failed = await order(body, 'erin-key');

    // then
    expect(failed.body.code).toBe('UNAVAILABLE');
    expect(during).toEqual({ keyLocked: false, racing: { status: 503, code: 'UNAVAILABLE' } });
    const retried = await order(body, 'erin-key').expect(202);
    expect(await ordersOf('erin')).toEqual([{ order_id: retried.body.orderId, status: 'CREATED' }]);
  });

  it('given an attempt whose release of its hold was sent but not answered (applied a moment later), when the buyer retries with the key at once, then 503, not a 202 on the hold being released', async () => {
    // given: the order could not be recorded (a 503); its release reaches inventory, whose answer is lost
    const body = { eventId: 'gig', userId: 'judy', quantity: 1 };
    jest.spyOn(stack.app.get(OrderSaga), 'record').mockRejectedValueOnce(orderNotTaken('test'));
    const client = stack.app.get(InventoryClient);
    const release = client.release.bind(client);
    let landed: Promise<unknown> = Promise.resolve();
    jest.spyOn(client, 'release').mockImplementationOnce(async (orderId, eventId) => {
      landed = new Promise((resolve) => setTimeout(resolve, 500)).then(() => release(orderId, eventId));
      throw new DomainError('UNAVAILABLE', 'inventory did not answer: Headers Timeout Error');
    });
    const failed = await order(body, 'judy-key');

    // when
    const retried = await order(body, 'judy-key');
    await landed;

    // then
    expect([failed.body.code, retried.status, retried.body.code]).toEqual([
      'UNAVAILABLE',
      503,
      'UNAVAILABLE',
    ]);
    expect(await ordersOf('judy')).toEqual([]);
    const holds = await stack.inventory.db.query(`SELECT status FROM reservations WHERE user_id = 'judy'`);
    expect(holds).toEqual([{ status: 'RELEASED' }]);
  });

  it('given a key older than the retention and a fresh one, when the retention sweeps, then only the old key is forgotten and answers as a new request', async () => {
    // given
    const body = { eventId: 'gig', userId: 'olga', quantity: 1 };
    const old = await order(body, 'olga-old').expect(202);
    const fresh = await order({ ...body, userId: 'fred' }, 'fred-fresh').expect(202);
    await stack.db.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
      ['olga-old'],
    );

    // when
    const forgotten = await stack.app.get(IdempotencyKeyRetention).sweep();

    // then
    expect(forgotten).toBe(1);
    expect((await order({ ...body, userId: 'fred' }, 'fred-fresh').expect(202)).body).toEqual(fresh.body);
    const again = await order(body, 'olga-old').expect(202);
    expect(again.body.orderId).not.toBe(old.body.orderId);
  });
});
