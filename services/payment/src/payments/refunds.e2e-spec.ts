import { randomUUID } from 'node:crypto';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { deadLetterQueueOf, retryQueueOf } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import { mostAtOnce, type TimedRun } from '@boxoffice/testing/timed-spy';
import {
  orderCancelled,
  orderCreated,
  PAYMENT_QUEUES,
  PaymentTestApp,
  startPayment,
} from '../payment.test-app';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };

describe('Refunds: order_cancelled → refund of a charge (e2e, real Postgres and RabbitMQ)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    payment = await startPayment('refunds', { GATEWAY_LATENCY_MS: '30' });
  });
  afterAll(() => payment?.close());

  /** An order whose order_created was consumed and whose payment_result is out: the payment is decided. */
  async function decidedPayment(
    paymentToken: string,
  ): Promise<{ order: OrderCreatedMessage; view: PaymentView }> {
    const order = orderCreated({ paymentToken, amount: 9_900 });
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await eventually(async () => (await payment.results(order.orderId)).length === 1, {
      ...SETTLED,
      what: `payment_result of ${order.orderId}`,
    });
    const { body: view } = await payment.http().get(`/payments/${order.orderId}`).expect(200);
    return { order, view };
  }

  /** Waits until `count` order_cancelled runs for the order have ended, and returns them. */
  const cancellationsHandled = (orderId: string, count: number): Promise<TimedRun[]> =>
    eventually(
      () =>
        payment.runs(ROUTING_KEYS.orderCancelled, orderId).length === count &&
        payment.runs(ROUTING_KEYS.orderCancelled, orderId),
      { ...SETTLED, what: `${count} order_cancelled handled for ${orderId}` },
    );

  const statusOf = async (orderId: string): Promise<PaymentView> =>
    (await payment.http().get(`/payments/${orderId}`).expect(200)).body;

  it('given a SUCCEEDED payment, when order_cancelled (HOLD_EXPIRED) arrives, then the charge is refunded once and the payment is REFUNDED', async () => {
    // given
    const { order, view } = await decidedPayment('tok_visa');
    expect(view.status).toBe('SUCCEEDED');

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId, 'HOLD_EXPIRED'), {
      messageId: randomUUID(),
    });

    // then
    const refunded = await eventually(
      async () => {
        const current = await statusOf(order.orderId);
        return current.status === 'REFUNDED' && current;
      },
      { ...SETTLED, what: 'payment REFUNDED' },
    );
    expect(refunded).toEqual({ ...view, status: 'REFUNDED' });
    const calls = await payment.gatewayCalls(order.orderId);
    expect(calls).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: true, amount: 9_900 }),
      expect.objectContaining({ kind: 'refund', succeeded: true, amount: 9_900 }),
    ]);
    const [{ charge_reference: chargeReference }] = await payment.db.query(
      'SELECT charge_reference FROM payments WHERE order_id = $1',
      [order.orderId],
    );
    expect(calls[0].reference).toBe(chargeReference);
    expect(await payment.results(order.orderId)).toHaveLength(1); // a refund publishes no second payment_result
  });

  it('given a REFUNDED payment, when order_cancelled comes again (same messageId, then another), then nothing more is refunded', async () => {
    // given
    const { order } = await decidedPayment('tok_visa');
    const messageId = randomUUID();
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), { messageId });
    await cancellationsHandled(order.orderId, 1);
    expect((await statusOf(order.orderId)).status).toBe('REFUNDED');

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), { messageId });
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), {
      messageId: randomUUID(),
    });

    // then
    const runs = await cancellationsHandled(order.orderId, 3);
    expect(runs.filter((run) => run.error)).toEqual([]);
    expect((await statusOf(order.orderId)).status).toBe('REFUNDED');
    expect((await payment.gatewayCalls(order.orderId)).map((call) => call.kind)).toEqual([
      'charge',
      'refund',
    ]);
  });

  it('given a SUCCEEDED payment, when several copies of order_cancelled are handled at once, then exactly one refund', async () => {
    // given
    const { order } = await decidedPayment('tok_visa');
    const messageId = randomUUID();
    const messageIds = [messageId, messageId, randomUUID(), randomUUID()];

    // when
    await Promise.all(
      messageIds.map((id) =>
        payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), { messageId: id }),
      ),
    );

    // then
    const runs = await cancellationsHandled(order.orderId, messageIds.length);
    expect(runs.filter((run) => run.error)).toEqual([]);
    expect(mostAtOnce(runs)).toBeGreaterThan(1); // the premise: copies were in the handler at the same time
    expect((await statusOf(order.orderId)).status).toBe('REFUNDED');
    const calls = await payment.gatewayCalls(order.orderId);
    expect(calls.filter((call) => call.kind === 'refund')).toEqual([
      expect.objectContaining({ succeeded: true, amount: 9_900 }),
    ]);
    expect(calls.filter((call) => call.kind === 'charge')).toHaveLength(1);
  });

  it('given a FAILED payment, when order_cancelled (PAYMENT_DECLINED) arrives, then it stays FAILED and the gateway is not asked to refund', async () => {
    // given
    const { order, view } = await decidedPayment('tok_chargeDeclined');
    expect(view).toMatchObject({ status: 'FAILED', reason: 'card_declined' });

    // when
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_DECLINED'),
      {
        messageId: randomUUID(),
      },
    );

    // then
    const [run] = await cancellationsHandled(order.orderId, 1);
    expect(run.error).toBeUndefined();
    expect(await statusOf(order.orderId)).toEqual(view);
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: false, reason: 'card_declined' }),
    ]);
  });

  it('given no payment for an order, when order_cancelled arrives, then it is acked and answered not_charged: no refund, no payment, queues drained, DLQ empty', async () => {
    // given
    const orderId = randomUUID();
    const messageId = randomUUID();

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(orderId), { messageId });

    // then
    const [run] = await cancellationsHandled(orderId, 1);
    expect(run.error).toBeUndefined();
    await eventually(
      async () =>
        (await payment.broker.depth(PAYMENT_QUEUES.orderCancelled)) === 0 &&
        (await payment.broker.depth(retryQueueOf(PAYMENT_QUEUES.orderCancelled))) === 0,
      { ...SETTLED, what: 'order_cancelled queues drained' },
    );
    expect(await payment.broker.depth(deadLetterQueueOf(PAYMENT_QUEUES.orderCancelled))).toBe(0);
    expect(await payment.broker.take(deadLetterQueueOf(PAYMENT_QUEUES.orderCancelled))).toEqual([]);
    expect(await payment.gatewayCalls(orderId)).toEqual([]);
    expect(await payment.results(orderId)).toEqual([]);
    await payment.http().get(`/payments/${orderId}`).expect(404);
    const answer = await payment.broker.nextTapped(ROUTING_KEYS.paymentCancelled, orderId);
    expect(answer.payload).toMatchObject({ orderId, outcome: 'not_charged' });
  });
});
