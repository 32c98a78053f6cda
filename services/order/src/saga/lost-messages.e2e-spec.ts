import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import {
  OrderTestApp,
  outboxRows,
  publishPaymentCancelled,
  publishPaymentResult,
  startOrderStack,
} from '../order.test-app';
import { InventoryClient } from '../inventory-client/inventory.client';
import { OrderSaga } from './order-saga';

const SALE = 'lossy';

/** The saga's own columns of an order (docs/contract.md §2, "The saga's state"). */
interface SagaRow {
  status: string;
  step: string;
  version: number;
  attempts: number;
  hold_released: boolean;
  payment_settlement: string | null;
}

describe('A lost message only delays the order (e2e: real inventory, Postgres, Redis, RabbitMQ; the test is payment)', () => {
  let stack: OrderTestApp;

  const place = async (userId: string, paymentToken = 'tok_visa'): Promise<OrderView> => {
    const { body } = await stack
      .http()
      .post('/orders')
      .send({ eventId: SALE, userId, quantity: 1, paymentToken })
      .expect(202);
    return body;
  };
  const read = async (orderId: string): Promise<OrderView> =>
    (await stack.http().get(`/orders/${orderId}`).expect(200)).body;
  const ended = (orderId: string) =>
    eventually(
      async () => {
        const order = await read(orderId);
        return order.status !== 'CREATED' && order;
      },
      { what: `order ${orderId} ended` },
    );
  const rowOf = async (orderId: string): Promise<SagaRow> =>
    (
      (await stack.db.query(
        `SELECT status, step, version, attempts, hold_released_at IS NOT NULL AS hold_released, payment_settlement
         FROM orders WHERE order_id = $1`,
        [orderId],
      )) as SagaRow[]
    )[0];
  /** Waits until `routingKey` was published `copies` times for the order; returns every copy. */
  const published = (routingKey: string, orderId: string, copies: number) =>
    eventually(
      async () => {
        const messages = await stack.broker.tapped(routingKey, orderId);
        return messages.length >= copies && messages;
      },
      { what: `${copies} copies of ${routingKey} for ${orderId}` },
    );

  beforeAll(async () => {
    // The driver looks every 100 ms and re-sends a step not answered within 400 ms (doubling, at most 2 s).
    stack = await startOrderStack('lost_messages', {
      proxyInventory: true,
      order: {
        ORDER_SAGA_DRIVER_INTERVAL_MS: '100',
        ORDER_RESEND_AFTER_MS: '400',
        ORDER_RESEND_MAX_MS: '2000',
      },
    });
    await putSale(stack.inventory, SALE, { totalStock: 50, perUserLimit: 4 });
  });
  afterAll(() => stack?.close());

  it('given an order_created that never reached payment, when the step goes unanswered, then the same order_created is sent again, and the order ends once payment answers', async () => {
    // given: the first order_created is lost (nobody answers it, as if payment.order_created had been purged)
    const placed = await place('alice');
    const [first] = await published('order_created', placed.orderId, 1);

    // when
    const [, again] = await published('order_created', placed.orderId, 2);

    // then: the same message, which payment answers like any other
    expect(again.properties.messageId).toBe(first.properties.messageId);
    expect(again.payload).toEqual(first.payload);
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-alice',
      status: 'succeeded',
    });
    expect(await ended(placed.orderId)).toMatchObject({ status: 'CONFIRMED', paymentId: 'pay-alice' });
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'DONE' });
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
    ]);
  });

  it('given an order_created sent and unanswered, when the driver finds the step due, then it is sent again ORDER_RESEND_AFTER_MS after it was sent, not a doubling later', async () => {
    // given
    const placed = await place('lena');
    await published('order_created', placed.orderId, 1);
    const sent = Date.now();

    // when
    await published('order_created', placed.orderId, 2);

    // then: 400 ms after the first copy, plus the driver's 100 ms look and the relay's send; a doubling is 640 ms more
    expect(Date.now() - sent).toBeLessThan(850);
  });

  it('given payment_results lost on their way back, when order_created is re-sent, then payment answers again with the same result and the order is CONFIRMED', async () => {
    // given: payment answered twice, and both answers were lost (purged from order.payment_result)
    const placed = await place('bob');
    const copies = await published('order_created', placed.orderId, 3);
    expect(new Set(copies.map((copy) => copy.properties.messageId)).size).toBe(1);
    expect((await rowOf(placed.orderId)).attempts).toBeGreaterThanOrEqual(2);

    // when: payment answers the third copy with its stored result
    const answer = { orderId: placed.orderId, paymentId: 'pay-bob', status: 'succeeded' } as const;
    await publishPaymentResult(stack, answer, 'result-of-bob');

    // then
    expect(await ended(placed.orderId)).toMatchObject({ status: 'CONFIRMED', paymentId: 'pay-bob' });
    const hold = await stack.inventory.http().get(`/reservations/${placed.orderId}`).expect(200);
    expect(hold.body.status).toBe('COMMITTED');
  });

  it('given a declined payment, when payment has not yet said it is settled, then the order is CANCELLED at once with its compensation PENDING, and order_cancelled is sent again until payment answers', async () => {
    // given
    const before = await saleCounts(stack.inventory, SALE);
    const placed = await place('carol', 'tok_chargeDeclined');
    await publishPaymentResult(stack, { orderId: placed.orderId, paymentId: 'pay-carol', status: 'failed' });

    // when: the first order_cancelled is lost
    const cancelled = await ended(placed.orderId);
    const [first, again] = await published('order_cancelled', placed.orderId, 2);

    // then
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      compensation: 'PENDING',
    });
    expect(again.properties.messageId).toBe(first.properties.messageId);
    expect(again.payload).toEqual(first.payload);
    await eventually(async () => (await rowOf(placed.orderId)).hold_released, { what: 'hold released' });
    expect(await saleCounts(stack.inventory, SALE)).toEqual(before);
    expect(await read(placed.orderId)).toMatchObject({ compensation: 'PENDING' });

    // when payment says nothing was charged
    await publishPaymentCancelled(stack, { orderId: placed.orderId, outcome: 'not_charged' });

    // then
    const complete = await eventually(
      async () => {
        const order = await read(placed.orderId);
        return order.compensation === 'COMPLETE' && order;
      },
      { what: 'compensation COMPLETE' },
    );
    expect(complete).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      paymentId: 'pay-carol',
    });
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'DONE', payment_settlement: 'not_charged' });
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
      'order_cancelled',
    ]);
  });

  it('given inventory unreachable when the payment succeeded, then payment_result is taken once, the order waits for the commit, and is CONFIRMED once inventory is back', async () => {
    // given
    const placed = await place('dave');
    await published('order_created', placed.orderId, 1);
    const handler = jest.spyOn(stack.app.get(OrderSaga), 'onPaymentResults');
    await stack.inventoryProxy!.cut();

    try {
      // when
      await publishPaymentResult(stack, {
        orderId: placed.orderId,
        paymentId: 'pay-dave',
        status: 'succeeded',
      });
      await eventually(() => handler.mock.results.length === 1, { what: 'payment_result handled' });
      await handler.mock.results[0].value;

      // then: the reply is recorded and acknowledged; what is left to do is the order's own
      await eventually(async () => (await rowOf(placed.orderId)).attempts >= 2, {
        what: 'commit tried again',
      });
      expect(await rowOf(placed.orderId)).toMatchObject({ status: 'CREATED', step: 'COMMIT' });
      expect(handler).toHaveBeenCalledTimes(1);
      expect(await stack.broker.depth('order.payment_result.retry')).toBe(0);
    } finally {
      handler.mockRestore();
      await stack.inventoryProxy!.restore();
    }
    expect(await ended(placed.orderId)).toMatchObject({ status: 'CONFIRMED', paymentId: 'pay-dave' });
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'DONE' });
  });

  it('given an order whose compensation is complete, when every reply comes again, then nothing changes', async () => {
    // given
    const placed = await place('erin', 'tok_chargeDeclined');
    const declined = { orderId: placed.orderId, paymentId: 'pay-erin', status: 'failed' } as const;
    const resultId = await publishPaymentResult(stack, declined);
    await ended(placed.orderId);
    const settledId = await publishPaymentCancelled(stack, {
      orderId: placed.orderId,
      outcome: 'not_charged',
    });
    const complete = await eventually(
      async () => {
        const order = await read(placed.orderId);
        return order.compensation === 'COMPLETE' && order;
      },
      { what: 'compensation COMPLETE' },
    );
    const before = {
      row: await rowOf(placed.orderId),
      outbox: await outboxRows(stack, placed.orderId),
      sale: await saleCounts(stack.inventory, SALE),
    };
    const handled = jest.spyOn(stack.app.get(OrderSaga), 'onPaymentCancelled');

    // when
    await publishPaymentResult(stack, declined, resultId);
    await publishPaymentCancelled(stack, { orderId: placed.orderId, outcome: 'not_charged' }, settledId);
    await publishPaymentCancelled(stack, { orderId: placed.orderId, outcome: 'refunded' });

    // then
    await eventually(() => handled.mock.results.length === 2, { what: 'both payment_cancelled handled' });
    await Promise.all(handled.mock.results.map((run) => run.value));
    handled.mockRestore();
    await eventually(async () => (await stack.broker.depth('order.payment_result')) === 0, {
      what: 'payment_result taken',
    });
    expect(await read(placed.orderId)).toEqual(complete);
    expect(await rowOf(placed.orderId)).toEqual(before.row);
    expect(await outboxRows(stack, placed.orderId)).toEqual(before.outbox);
    expect(await saleCounts(stack.inventory, SALE)).toEqual(before.sale);
  });

  it('given a hold found sold when the order is cancelled, then the compensation is never complete: the order stays PENDING for the audit', async () => {
    // given: a hold committed behind the saga's back (the one case the saga's steps cannot produce)
    const placed = await place('frank', 'tok_chargeDeclined');
    await stack.inventory
      .http()
      .post(`/reservations/${placed.orderId}/commit`)
      .set(AS_ORDER_SERVICE)
      .expect(200);

    // when
    await publishPaymentResult(stack, { orderId: placed.orderId, paymentId: 'pay-frank', status: 'failed' });
    await ended(placed.orderId);
    await publishPaymentCancelled(stack, { orderId: placed.orderId, outcome: 'not_charged' });
    await eventually(async () => (await rowOf(placed.orderId)).payment_settlement === 'not_charged', {
      what: 'payment settled',
    });
    await eventually(async () => (await rowOf(placed.orderId)).attempts >= 2, {
      what: 'release tried again',
    });

    // then
    expect(await read(placed.orderId)).toMatchObject({ status: 'CANCELLED', compensation: 'PENDING' });
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'COMPENSATION', hold_released: false });
  });

  it('given a commit answered "hold expired" while an earlier commit of the order sold the hold, then the order is CONFIRMED, never cancelled with its ticket sold', async () => {
    // given: the first commit, still running in inventory, sells the hold; the one the saga hears from says it expired
    const placed = await place('grace');
    await published('order_created', placed.orderId, 1);
    const commit = jest
      .spyOn(stack.app.get(InventoryClient), 'commitMany')
      .mockImplementationOnce(async ([orderId]) => {
        await stack.inventory
          .http()
          .post(`/reservations/${orderId}/commit`)
          .set(AS_ORDER_SERVICE)
          .expect(200);
        return [new DomainError('HOLD_EXPIRED', `The hold of order ${orderId} has expired`)];
      });

    try {
      // when
      await publishPaymentResult(stack, {
        orderId: placed.orderId,
        paymentId: 'pay-grace',
        status: 'succeeded',
      });

      // then
      expect(await ended(placed.orderId)).toMatchObject({ status: 'CONFIRMED', paymentId: 'pay-grace' });
    } finally {
      commit.mockRestore();
    }
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'DONE', hold_released: false });
    expect((await outboxRows(stack, placed.orderId)).map((row) => row.routing_key)).toEqual([
      'order_created',
    ]);
  });

  it('given a commit answered RESERVATION_NOT_FOUND, when the step is driven, then the hold is released first and the order CANCELLED (HOLD_EXPIRED) with its hold half done', async () => {
    // given
    const before = await saleCounts(stack.inventory, SALE);
    const placed = await place('heidi');
    await published('order_created', placed.orderId, 1);
    const commit = jest
      .spyOn(stack.app.get(InventoryClient), 'commitMany')
      .mockImplementation(async (orderIds) =>
        orderIds.map(
          (orderId) => new DomainError('RESERVATION_NOT_FOUND', `No reservation for order ${orderId}`),
        ),
      );

    try {
      // when
      await publishPaymentResult(stack, {
        orderId: placed.orderId,
        paymentId: 'pay-heidi',
        status: 'succeeded',
      });

      // then
      expect(await ended(placed.orderId)).toMatchObject({
        status: 'CANCELLED',
        reason: 'HOLD_EXPIRED',
        paymentId: 'pay-heidi',
        compensation: 'PENDING',
      });
    } finally {
      commit.mockRestore();
    }
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'COMPENSATION', hold_released: true });
    expect(await saleCounts(stack.inventory, SALE)).toEqual(before);
    await published('order_cancelled', placed.orderId, 1);
  });

  it('given an order cancelled by its timeout whose compensation is complete, when a success arrives late, then its paymentId is recorded and the saga stays DONE', async () => {
    // given
    const placed = await place('ivan');
    const saga = stack.app.get(OrderSaga);
    await saga.onPaymentTimeout(await saga.orderOf(placed.orderId, 'test'));
    await publishPaymentCancelled(stack, { orderId: placed.orderId, outcome: 'not_charged' });
    await eventually(async () => (await read(placed.orderId)).compensation === 'COMPLETE', {
      what: 'compensation COMPLETE',
    });

    // when
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-ivan',
      status: 'succeeded',
    });

    // then
    const late = await eventually(
      async () => {
        const order = await read(placed.orderId);
        return order.paymentId === 'pay-ivan' && order;
      },
      { what: 'late paymentId recorded' },
    );
    expect(late).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT', compensation: 'COMPLETE' });
    expect(await rowOf(placed.orderId)).toMatchObject({ step: 'DONE', payment_settlement: 'not_charged' });
  });

  it('given an order_created still unsent in the outbox (the relay backing off), when the payment step is driven again, then the row is left to the relay, its backoff untouched', async () => {
    // given
    const placed = await place('judy');
    await published('order_created', placed.orderId, 1);
    await stack.db.query(
      `UPDATE outbox SET sent_at = NULL, attempts = 3, next_attempt_at = now() + interval '1 hour'
       WHERE correlation_id = $1 AND routing_key = 'order_created'`,
      [placed.orderId],
    );
    const driven = (await rowOf(placed.orderId)).attempts;

    // when
    await eventually(async () => (await rowOf(placed.orderId)).attempts >= driven + 2, {
      what: 'payment step driven twice more',
    });

    // then
    const [row] = (await stack.db.query(
      `SELECT attempts, next_attempt_at > now() + interval '50 minutes' AS backing_off FROM outbox
       WHERE correlation_id = $1 AND routing_key = 'order_created'`,
      [placed.orderId],
    )) as Array<{ attempts: number; backing_off: boolean }>;
    expect(row).toEqual({ attempts: 3, backing_off: true });
    await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-judy',
      status: 'succeeded',
    });
    expect(await ended(placed.orderId)).toMatchObject({ status: 'CONFIRMED' });
  });

  it('given a row whose step disagrees with its status (CANCELLED, yet in COMMIT), when the step is answered, then neither status nor step moves', async () => {
    // given: a row no transition writes (the guards check the status as well as the step)
    const placed = await place('kate');
    await stack.db.query(`UPDATE orders SET status = 'CANCELLED', step = 'COMMIT' WHERE order_id = $1`, [
      placed.orderId,
    ]);
    const saga = stack.app.get(OrderSaga);
    const order = await saga.orderOf(placed.orderId, 'test');
    const before = await rowOf(placed.orderId);

    // when
    await saga.confirm(order);
    await saga.cancel(order, 'COMMIT', 'HOLD_EXPIRED', undefined, true);

    // then
    expect(await rowOf(placed.orderId)).toEqual(before);
    await stack.db.query(`UPDATE orders SET step = 'DONE', next_attempt_at = NULL WHERE order_id = $1`, [
      placed.orderId,
    ]);
  });
});
