import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import {
  OrderTestApp,
  outboxRows,
  publishPaymentCancelled,
  publishPaymentResult,
  startOrderStack,
} from '../order.test-app';
import { OrderSaga } from './order-saga';
import { SagaDriver } from './saga-driver';

describe('Payment timeout (e2e: order + inventory, real Postgres, Redis, RabbitMQ)', () => {
  let stack: OrderTestApp;
  let driver: SagaDriver;

  beforeAll(async () => {
    // The driver runs by hand; nobody consumes order_created, as when payment is down for good.
    stack = await startOrderStack('order_timeout', {
      order: { ORDER_PAYMENT_TIMEOUT_SECONDS: '1', ORDER_SAGA_DRIVER_INTERVAL_MS: '600000' },
    });
    driver = stack.app.get(SagaDriver);
  });
  afterAll(() => stack?.close());

  it('given an order payment never answers, when the timeout passes, then it ends CANCELLED with its stock back; a late charge is refunded through the same order_cancelled', async () => {
    await putSale(stack.inventory, 'silent', { totalStock: 2 });
    const { body: order } = await stack
      .http()
      .post('/orders')
      .send({ eventId: 'silent', userId: 'u1', quantity: 2 })
      .expect(202);
    await stack.broker.nextTapped('order_created', order.orderId);
    expect(await driver.sweep()).toBe(0);

    await eventually(() => Date.now() > Date.parse(order.createdAt) + 1100, {
      what: 'payment timeout passed',
    });
    expect(await driver.sweep()).toBe(1);

    const { body: cancelled } = await stack.http().get(`/orders/${order.orderId}`).expect(200);
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_TIMEOUT',
      compensation: 'PENDING',
    });
    expect(cancelled.paymentId).toBeUndefined();
    expect(await saleCounts(stack.inventory, 'silent')).toMatchObject({ available: 2, held: 0, sold: 0 });
    const first = await stack.broker.nextTapped('order_cancelled', order.orderId);
    expect(first.payload).toMatchObject({ orderId: order.orderId, reason: 'PAYMENT_TIMEOUT' });

    // Payment comes back and charges after all: the order stays CANCELLED and records the charge, and its
    // order_cancelled (sent again until payment answers) has payment refund it.
    const handler = jest.spyOn(stack.app.get(OrderSaga), 'onPaymentResults');
    for (let copy = 0; copy < 2; copy++) {
      await publishPaymentResult(stack, {
        orderId: order.orderId,
        paymentId: 'late-pay',
        status: 'succeeded',
      });
    }
    // Both copies handled, in one batch or two.
    await eventually(() => handler.mock.calls.flatMap(([replies]) => replies).length === 2, {
      what: 'both copies handled',
    });
    await Promise.all(handler.mock.results.map((run) => run.value));
    handler.mockRestore();
    const { body: after } = await stack.http().get(`/orders/${order.orderId}`).expect(200);
    expect(after).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_TIMEOUT',
      paymentId: 'late-pay',
      compensation: 'PENDING',
    });
    expect(await saleCounts(stack.inventory, 'silent')).toMatchObject({ available: 2, held: 0, sold: 0 });
    await stack.db.query('UPDATE orders SET next_attempt_at = now() WHERE order_id = $1', [order.orderId]);
    expect(await driver.sweep()).toBe(1);
    const [, again] = await eventually(
      async () => {
        const cancellations = await stack.broker.tapped('order_cancelled', order.orderId);
        return cancellations.length >= 2 && cancellations;
      },
      { what: 'order_cancelled sent again' },
    );
    expect(again.properties.messageId).toBe(first.properties.messageId);
    const cancellations = (await outboxRows(stack, order.orderId)).filter(
      (m) => m.routing_key === 'order_cancelled',
    );
    expect(cancellations).toHaveLength(1);

    await publishPaymentCancelled(stack, { orderId: order.orderId, outcome: 'refunded' });
    await eventually(
      async () =>
        (await stack.http().get(`/orders/${order.orderId}`).expect(200)).body.compensation === 'COMPLETE',
      { what: 'compensation COMPLETE' },
    );
    expect(await driver.sweep()).toBe(0);
  });

  it('given overdue orders, when two instances sweep at the same time, then each order is timed out by exactly one of them', async () => {
    // given
    await putSale(stack.inventory, 'crowd', { totalStock: 6 });
    const orders = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const { body } = await stack
          .http()
          .post('/orders')
          .send({ eventId: 'crowd', userId: `crowd-${i}`, quantity: 1 })
          .expect(202);
        return body as { orderId: string; createdAt: string };
      }),
    );
    const latest = Math.max(...orders.map((order) => Date.parse(order.createdAt)));
    await eventually(() => Date.now() > latest + 1100, { what: 'payment timeout passed' });
    const timedOut = jest.spyOn(stack.app.get(OrderSaga), 'onPaymentTimeout');

    // when
    const [first, second] = await Promise.all([driver.sweep(), driver.sweep()]);

    // then
    expect(first + second).toBe(6);
    expect(timedOut.mock.calls.map(([order]) => order.orderId).sort()).toEqual(
      orders.map((order) => order.orderId).sort(),
    );
    for (const order of orders) {
      const { body } = await stack.http().get(`/orders/${order.orderId}`).expect(200);
      expect(body).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' });
    }
    expect(await saleCounts(stack.inventory, 'crowd')).toMatchObject({ available: 6, held: 0, sold: 0 });
    timedOut.mockRestore();
  });
});
