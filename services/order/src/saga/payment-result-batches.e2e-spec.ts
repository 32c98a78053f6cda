import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryClient } from '../inventory-client/inventory.client';
import { OrderTestApp, startOrderStack } from '../order.test-app';
import { OrderSaga } from './order-saga';
import type { PaymentReply } from './order-saga-types';

const SALE = 'batched';
// Above the ten of the one-call test, below the window of the split test.
const BATCH_MAX = 12;

describe('payment_result in batches (e2e: real inventory, Postgres, Redis, RabbitMQ; the test is payment)', () => {
  let stack: OrderTestApp;
  let saga: OrderSaga;
  let buyers = 0;

  const place = async (): Promise<string> => {
    const { body } = await stack
      .http()
      .post('/orders')
      .send({ eventId: SALE, userId: `buyer-${++buyers}`, quantity: 1 })
      .expect(202);
    return body.orderId;
  };
  const reply = (orderId: string, status: PaymentResultMessage['status'] = 'succeeded'): PaymentReply => ({
    payload: {
      version: 1,
      orderId,
      paymentId: `pay-${orderId}`,
      status,
      processedAt: new Date().toISOString(),
    },
    context: { messageId: `msg-${orderId}-${status}` },
  });
  const rowOf = async (orderId: string) =>
    (
      await stack.db.query(
        `SELECT status, step, reason, payment_id, hold_released_at IS NOT NULL AS hold_released
         FROM orders WHERE order_id = $1`,
        [orderId],
      )
    )[0];

  beforeAll(async () => {
    // The saga's driver stays out of the way: what is asserted is the batch's own work.
    stack = await startOrderStack('payment_result_batches', {
      order: { ORDER_SAGA_DRIVER_INTERVAL_MS: '600000', ORDER_BATCH_MAX_ITEMS: String(BATCH_MAX) },
      inventory: { INVENTORY_BATCH_MAX_ITEMS: String(BATCH_MAX) },
    });
    saga = stack.app.get(OrderSaga);
    await putSale(stack.inventory, SALE, { totalStock: 100, perUserLimit: 4 });
  });
  afterAll(() => stack?.close());

  it('given a batch of a success, a decline, a repeat, a success for a cancelled order, one whose hold is gone and one for an unknown order, when it is handled, then each ends as its single path would, and only the unknown one fails', async () => {
    // given
    const [paid, declined, confirmed, cancelled, gone] = await Promise.all(
      Array.from({ length: 5 }, () => place()),
    );
    await saga.onPaymentResults([reply(confirmed)]);
    await saga.onPaymentTimeout(await saga.orderOf(cancelled, 'test'));
    await stack.inventory
      .http()
      .post(`/reservations/${gone}/release`)
      .set(AS_ORDER_SERVICE)
      .send({ eventId: SALE })
      .expect(200);
    const before = await saleCounts(stack.inventory, SALE);

    // when
    const outcomes = await saga.onPaymentResults([
      reply(paid),
      reply(declined, 'failed'),
      reply(confirmed),
      reply(cancelled),
      reply(gone),
      reply('no-such-order'),
      reply(paid),
    ]);

    // then
    expect(outcomes.map(({ status }) => status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(outcomes[5]).toMatchObject({ reason: { code: 'ORDER_NOT_FOUND' } });
    expect(await rowOf(paid)).toMatchObject({ status: 'CONFIRMED', step: 'DONE', payment_id: `pay-${paid}` });
    expect(await rowOf(declined)).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      step: 'COMPENSATION',
      hold_released: true,
    });
    expect(await rowOf(confirmed)).toMatchObject({ status: 'CONFIRMED', step: 'DONE' });
    expect(await rowOf(cancelled)).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_TIMEOUT',
      payment_id: `pay-${cancelled}`,
    });
    expect(await rowOf(gone)).toMatchObject({
      status: 'CANCELLED',
      reason: 'HOLD_EXPIRED',
      step: 'COMPENSATION',
      hold_released: true,
      payment_id: `pay-${gone}`,
    });
    // one ticket sold (paid's), one back on sale (declined's)
    expect(await saleCounts(stack.inventory, SALE)).toMatchObject({
      sold: before.sold + 1,
      held: before.held - 2,
      available: before.available + 1,
    });
  });

  it('given ten orders paid, when their results are handled as one batch, then inventory gets one commit call and Postgres two statements', async () => {
    // given
    const orderIds = await Promise.all(Array.from({ length: 10 }, () => place()));
    const inventory = stack.app.get(InventoryClient);
    const commitMany = jest.spyOn(inventory, 'commitMany');
    const statements: string[] = [];
    const real = PostgresQueryRunner.prototype.query;
    const counting = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (
      this: PostgresQueryRunner,
      ...args: Parameters<typeof real>
    ) {
      // The saga's own statements, not the relay's, the driver's or a request's.
      if (/OrderSaga\./.test(new Error().stack ?? '')) statements.push(args[0].trim().slice(0, 40));
      return real.apply(this, args);
    });

    // when
    let outcomes: PromiseSettledResult<void>[];
    const calls = { commitMany: [] as unknown[][] };
    try {
      outcomes = await saga.onPaymentResults(orderIds.map((orderId) => reply(orderId)));
    } finally {
      calls.commitMany = [...commitMany.mock.calls];
      counting.mockRestore();
      commitMany.mockRestore();
    }

    // then
    expect(outcomes.map(({ status }) => status)).toEqual(Array(10).fill('fulfilled'));
    expect(calls.commitMany).toEqual([[expect.arrayContaining(orderIds)]]);
    expect(statements).toHaveLength(2);
    for (const orderId of orderIds)
      expect(await rowOf(orderId)).toMatchObject({ status: 'CONFIRMED', step: 'DONE' });
  });
  it('given more orders paid than inventory takes in one call, when their results are handled as one batch, then they are committed in calls of at most ORDER_BATCH_MAX_ITEMS and all CONFIRMED', async () => {
    // given
    const orderIds = await Promise.all(Array.from({ length: BATCH_MAX * 2 + 1 }, () => place()));
    const commitMany = jest.spyOn(stack.app.get(InventoryClient), 'commitMany');

    // when
    let outcomes: PromiseSettledResult<void>[];
    let sizes: number[];
    try {
      outcomes = await saga.onPaymentResults(orderIds.map((orderId) => reply(orderId)));
      sizes = commitMany.mock.calls.map(([ids]) => ids.length);
    } finally {
      commitMany.mockRestore();
    }

    // then
    expect(outcomes.filter(({ status }) => status === 'rejected')).toEqual([]);
    expect(sizes.sort((a, b) => b - a)).toEqual([BATCH_MAX, BATCH_MAX, 1]);
    const rows = await stack.db.query(`SELECT DISTINCT status, step FROM orders WHERE order_id = ANY($1)`, [
      orderIds,
    ]);
    expect(rows).toEqual([{ status: 'CONFIRMED', step: 'DONE' }]);
  });
});
