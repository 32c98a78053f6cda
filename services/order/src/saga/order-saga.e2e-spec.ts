import { parseOrderCancelled } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { ATTEMPT_HEADER, DEAD_LETTER_REASON_HEADER } from '@boxoffice/messaging/message-headers';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { OrderTestApp, outboxRows, publishPaymentResult, startOrderStack } from '../order.test-app';
import { OrderSaga } from './order-saga';

const QUEUE = 'order.payment_result';
const MAX_ATTEMPTS = 2;

/** Steps shared by both stacks: place an order, watch the saga's handler, wait for the order to end. */
function sagaSteps(stack: () => OrderTestApp) {
  let handler: jest.SpiedFunction<OrderSaga['onPaymentResults']> | undefined;
  const watch = () => (handler ??= jest.spyOn(stack().app.get(OrderSaga), 'onPaymentResults'));
  return {
    /** POST /orders → 202, and order_created on its way to payment. */
    async place(eventId: string, userId: string, quantity: number): Promise<OrderView> {
      const { body } = await stack().http().post('/orders').send({ eventId, userId, quantity }).expect(202);
      await stack().broker.nextTapped('order_created', body.orderId);
      return body;
    },
    async read(orderId: string): Promise<OrderView> {
      return (await stack().http().get(`/orders/${orderId}`).expect(200)).body;
    },
    /** Waits until the order left CREATED. */
    async ended(orderId: string): Promise<OrderView> {
      return eventually(
        async () => {
          const order = await this.read(orderId);
          return order.status !== 'CREATED' && order;
        },
        { what: `order ${orderId} ended` },
      );
    },
    /** Every payment_result for this order handled so far, each its own outcome in its batch. */
    async handled(orderId: string, atLeast: number): Promise<PromiseSettledResult<void>[]> {
      const spy = watch();
      const runs = await eventually(
        () => {
          const found = spy.mock.calls.flatMap(([replies], index) =>
            replies.flatMap(({ payload }, item) =>
              payload.orderId === orderId
                ? [
                    (spy.mock.results[index].value as ReturnType<OrderSaga['onPaymentResults']>).then(
                      (outcomes) => outcomes[item],
                    ),
                  ]
                : [],
            ),
          );
          return found.length >= atLeast && found;
        },
        { what: `${atLeast} payment_results handled for ${orderId}` },
      );
      return Promise.all(runs);
    },
    /** Waits until the cancelled order's hold release is recorded (the buyer sees CANCELLED before it). */
    async released(orderId: string): Promise<void> {
      await eventually(
        async () =>
          (
            (await stack().db.query('SELECT hold_released_at FROM orders WHERE order_id = $1', [
              orderId,
            ])) as [{ hold_released_at: Date | null }]
          )[0].hold_released_at,
        { what: `the hold of ${orderId} released` },
      );
    },
    watch,
    restore: () => handler?.mockRestore(),
  };
}

describe('OrderSaga on payment_result (e2e: real inventory, Postgres, Redis, RabbitMQ)', () => {
  let stack: OrderTestApp;
  const saga = sagaSteps(() => stack);
  const versionOf = async (orderId: string) =>
    (
      (await stack.db.query('SELECT version FROM orders WHERE order_id = $1', [orderId])) as [
        { version: number },
      ]
    )[0].version;

  beforeAll(async () => {
    stack = await startOrderStack('saga', {
      proxyInventory: true,
      // The saga's driver looks every 200 ms (a release left to it is done again at once once due).
      order: { MESSAGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS), ORDER_SAGA_DRIVER_INTERVAL_MS: '200' },
    });
    saga.watch();
    await putSale(stack.inventory, 'gig', { totalStock: 100, perUserLimit: 4, unitPrice: 3000 });
  });
  afterAll(async () => {
    saga.restore();
    await stack?.close();
  });

  it('given a CREATED order, when its payment succeeded, then it is CONFIRMED with the paymentId and its tickets are sold', async () => {
    const placed = await saga.place('gig', 'alice', 2);
    const before = await saleCounts(stack.inventory, 'gig');

    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-alice',
      status: 'succeeded',
    });

    const confirmed = await saga.ended(placed.orderId);
    expect(confirmed).toEqual({
      ...placed,
      status: 'CONFIRMED',
      paymentId: 'pay-alice',
      updatedAt: expect.any(String),
    });
    expect(Date.parse(confirmed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(placed.updatedAt));
    expect(await saleCounts(stack.inventory, 'gig')).toMatchObject({
      available: before.available,
      held: before.held - 2,
      sold: before.sold + 2,
    });
    const hold = await stack.inventory.http().get(`/reservations/${placed.orderId}`).expect(200);
    expect(hold.body.status).toBe('COMMITTED');
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
    ]);
  });

  it('given a CREATED order, when its payment failed, then it is CANCELLED as PAYMENT_DECLINED, its stock returns and order_cancelled is published', async () => {
    const before = await saleCounts(stack.inventory, 'gig');
    const placed = await saga.place('gig', 'bob', 3);

    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-bob',
      status: 'failed',
      reason: 'card_declined',
    });

    expect(await saga.ended(placed.orderId)).toEqual({
      ...placed,
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      paymentId: 'pay-bob',
      compensation: 'PENDING',
      updatedAt: expect.any(String),
    });
    await saga.released(placed.orderId);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before);
    const hold = await stack.inventory.http().get(`/reservations/${placed.orderId}`).expect(200);
    expect(hold.body.status).toBe('RELEASED');
    const cancelled = await stack.broker.nextTapped('order_cancelled', placed.orderId);
    expect(cancelled.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: expect.any(String),
      correlationId: placed.orderId,
      type: 'order_cancelled',
    });
    expect(() => parseOrderCancelled(cancelled.payload)).not.toThrow();
    expect(cancelled.payload).toEqual({
      version: 1,
      orderId: placed.orderId,
      reason: 'PAYMENT_DECLINED',
      cancelledAt: expect.any(String),
    });
  });

  it('given a CONFIRMED order, when its payment_result comes again or a contradicting one arrives late, then nothing changes', async () => {
    const placed = await saga.place('gig', 'carol', 1);
    const first = await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-carol',
      status: 'succeeded',
    });
    const confirmed = await saga.ended(placed.orderId);
    await saga.handled(placed.orderId, 1);
    const before = {
      version: await versionOf(placed.orderId),
      sale: await saleCounts(stack.inventory, 'gig'),
    };

    await publishPaymentResult(
      stack,
      { orderId: placed.orderId, paymentId: 'pay-carol', status: 'succeeded' },
      first,
    );
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-other',
      status: 'succeeded',
    });
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-carol',
      status: 'failed',
      reason: 'card_declined',
    });

    const runs = await saga.handled(placed.orderId, 4);
    expect(runs.map((run) => run.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await saga.read(placed.orderId)).toEqual(confirmed);
    expect(await versionOf(placed.orderId)).toBe(before.version);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before.sale);
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
    ]);
  });

  it('given a CANCELLED order, when a late success arrives, then it stays CANCELLED, nothing is sold and no second order_cancelled is sent', async () => {
    const placed = await saga.place('gig', 'dave', 2);
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-dave',
      status: 'failed',
      reason: 'insufficient_funds',
    });
    await saga.ended(placed.orderId);
    await saga.handled(placed.orderId, 1);
    await saga.released(placed.orderId);
    const cancelled = await saga.read(placed.orderId);
    const before = {
      version: await versionOf(placed.orderId),
      sale: await saleCounts(stack.inventory, 'gig'),
    };

    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-dave2',
      status: 'succeeded',
    });

    const runs = await saga.handled(placed.orderId, 2);
    expect(runs.map((run) => run.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await saga.read(placed.orderId)).toEqual(cancelled);
    expect(await versionOf(placed.orderId)).toBe(before.version);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before.sale);
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
      'order_cancelled',
    ]);
  });

  it('given inventory unreachable, when a payment failed, then the order is CANCELLED at once, the message taken once and never dead-lettered, and the hold released once inventory is back', async () => {
    const placed = await saga.place('gig', 'erin', 2);
    const holding = await saleCounts(stack.inventory, 'gig');
    await stack.inventoryProxy!.cut();

    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-erin',
      status: 'failed',
      reason: 'card_declined',
    });

    // One run, which records the cancellation; the release is the saga driver's to do again, not the message's.
    const runs = await saga.handled(placed.orderId, 1);
    expect(runs.map((run) => run.status)).toEqual(['fulfilled']);
    expect(await saga.read(placed.orderId)).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      paymentId: 'pay-erin',
      compensation: 'PENDING',
    });
    await stack.broker.nextTapped('order_cancelled', placed.orderId);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(holding);

    await stack.inventoryProxy!.restore();
    await stack.db.query('UPDATE orders SET next_attempt_at = now() WHERE order_id = $1', [placed.orderId]);

    await saga.released(placed.orderId);
    expect(await saleCounts(stack.inventory, 'gig')).toMatchObject({
      available: holding.available + 2,
      held: holding.held - 2,
      sold: holding.sold,
    });
    expect(await saga.handled(placed.orderId, 1)).toHaveLength(1);
    expect(await stack.broker.depth(QUEUE)).toBe(0);
    expect(await stack.broker.take(`${QUEUE}.dlq`, placed.orderId)).toEqual([]);
  });

  it('given a payment_result for an order that does not exist, then it is dead-lettered after MESSAGE_MAX_ATTEMPTS and changes nothing', async () => {
    const before = await saleCounts(stack.inventory, 'gig');

    const messageId = await publishPaymentResult(stack, {
      orderId: 'no-such-order',
      paymentId: 'pay-ghost',
      status: 'succeeded',
    });

    const [dead] = await eventually(
      async () => {
        const messages = await stack.broker.take(`${QUEUE}.dlq`, 'no-such-order');
        return messages.length > 0 && messages;
      },
      { what: 'dead-lettered' },
    );
    expect(dead.properties.messageId).toBe(messageId);
    expect(dead.properties.headers).toMatchObject({
      [DEAD_LETTER_REASON_HEADER]: 'attempts-exhausted',
      [ATTEMPT_HEADER]: MAX_ATTEMPTS,
    });
    expect(await saga.handled('no-such-order', MAX_ATTEMPTS)).toHaveLength(MAX_ATTEMPTS);
    expect(await stack.db.query(`SELECT 1 FROM orders WHERE order_id = 'no-such-order'`)).toEqual([]);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before);
  });
});

describe('OrderSaga when the hold expired before the payment succeeded (e2e, HOLD_TTL_SECONDS=1)', () => {
  // Inventory runs as a process of its own, so its sweep is set rather than called: off for the moment before the
  // sweep, on a short timer for the moment after it, each in a stack of its own.
  const startExpiryStack = (label: string, sweepIntervalMs: string) =>
    startOrderStack(label, { inventory: { HOLD_TTL_SECONDS: '1', HOLD_SWEEP_INTERVAL_MS: sweepIntervalMs } });

  async function expiredHoldOf(stack: OrderTestApp, order: OrderView): Promise<void> {
    const { body: hold } = await stack.inventory.http().get(`/reservations/${order.orderId}`).expect(200);
    await eventually(() => Date.now() > Date.parse(hold.expiresAt) + 50, { what: 'hold expired' });
  }

  async function expectCancelledAsExpired(
    stack: OrderTestApp,
    placed: OrderView,
    paymentId: string,
  ): Promise<void> {
    const saga = sagaSteps(() => stack);
    expect(await saga.ended(placed.orderId)).toEqual({
      ...placed,
      status: 'CANCELLED',
      reason: 'HOLD_EXPIRED',
      paymentId,
      compensation: 'PENDING',
      updatedAt: expect.any(String),
    });
    await saga.released(placed.orderId);
    const cancelled = await stack.broker.nextTapped('order_cancelled', placed.orderId);
    expect(cancelled.payload).toMatchObject({ orderId: placed.orderId, reason: 'HOLD_EXPIRED' });
    const hold = await stack.inventory.http().get(`/reservations/${placed.orderId}`).expect(200);
    expect(hold.body.status).toBe('RELEASED');
  }

  describe('with the sweep off (HOLD_SWEEP_INTERVAL_MS=600000)', () => {
    let stack: OrderTestApp;
    const saga = sagaSteps(() => stack);

    beforeAll(async () => {
      stack = await startExpiryStack('saga_expiry', '600000');
    });
    afterAll(() => stack?.close());

    it('given a hold that expired but was not swept yet, when the payment succeeds, then the order is CANCELLED as HOLD_EXPIRED and its stock returns', async () => {
      await putSale(stack.inventory, 'late-gig', { totalStock: 5 });
      const placed = await saga.place('late-gig', 'frank', 2);
      await expiredHoldOf(stack, placed);
      expect(await saleCounts(stack.inventory, 'late-gig')).toMatchObject({ available: 3, held: 2, sold: 0 });

      await publishPaymentResult(stack, {
        orderId: placed.orderId,
        paymentId: 'pay-frank',
        status: 'succeeded',
      });

      await expectCancelledAsExpired(stack, placed, 'pay-frank');
      expect(await saleCounts(stack.inventory, 'late-gig')).toMatchObject({ available: 5, held: 0, sold: 0 });
    });
  });

  describe('with the sweep on a 100 ms timer', () => {
    let stack: OrderTestApp;
    const saga = sagaSteps(() => stack);

    beforeAll(async () => {
      stack = await startExpiryStack('saga_swept', '100');
    });
    afterAll(() => stack?.close());

    it('given a hold the sweep already returned to stock, when the payment succeeds, then the order is CANCELLED as HOLD_EXPIRED and the stock is not returned twice', async () => {
      await putSale(stack.inventory, 'swept-gig', { totalStock: 5 });
      const placed = await saga.place('swept-gig', 'gina', 2);
      await expiredHoldOf(stack, placed);
      const swept = await eventually(
        async () => {
          const counts = await saleCounts(stack.inventory, 'swept-gig');
          return counts.held === 0 && counts;
        },
        { what: 'the sweep returned the expired hold' },
      );
      expect(swept).toMatchObject({ available: 5, held: 0, sold: 0 });

      await publishPaymentResult(stack, {
        orderId: placed.orderId,
        paymentId: 'pay-gina',
        status: 'succeeded',
      });

      await expectCancelledAsExpired(stack, placed, 'pay-gina');
      expect(await saleCounts(stack.inventory, 'swept-gig')).toMatchObject({
        available: 5,
        held: 0,
        sold: 0,
      });
    });
  });
});
