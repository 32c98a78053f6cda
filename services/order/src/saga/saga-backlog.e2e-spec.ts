import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { orderRows, publishPaymentResult, startOrderStack, type OrderTestApp } from '../order.test-app';
import { SagaBacklog } from './saga-backlog';

// An order counts toward the limit once CREATED this long: far longer than a test takes, so that only the orders a
// test makes older (olderThanTheAge) count.
const AGE_SECONDS = 60;

describe('Saga backlog limit (e2e: order in-process, inventory as a process, no payment)', () => {
  let stack: OrderTestApp;
  const order = (eventId: string, userId: string, idempotencyKey?: string) => {
    const call = stack.http().post('/orders');
    return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send({
      eventId,
      userId,
      quantity: 1,
    });
  };
  // As if AGE_SECONDS had passed for the sale's open orders: created_at is all the count reads of time.
  const olderThanTheAge = (eventId: string) =>
    stack.db.query(
      `UPDATE orders SET created_at = created_at - make_interval(secs => $2) WHERE event_id = $1 AND status = 'CREATED'`,
      [eventId, AGE_SECONDS],
    );

  beforeAll(async () => {
    stack = await startOrderStack('backlog', {
      order: {
        ORDER_MAX_SAGA_BACKLOG: '2',
        ORDER_SAGA_BACKLOG_AFTER_SECONDS: String(AGE_SECONDS),
        ORDER_SOLD_OUT_MEMORY_MS: '10000',
      },
    });
  });
  afterAll(() => stack?.close());
  afterEach(async () => {
    // Every test starts with no order open: the saga ends what the last one left.
    const open: Array<{ order_id: string }> = await stack.db.query(
      `SELECT order_id FROM orders WHERE status = 'CREATED'`,
    );
    for (const { order_id } of open)
      await publishPaymentResult(stack, {
        orderId: order_id,
        paymentId: `pay-${order_id}`,
        status: 'succeeded',
      });
    await eventually(async () => (await orderRows(stack, {})).every((row) => row.status !== 'CREATED'), {
      what: 'every order ended',
    });
    await stack.app.get(SagaBacklog).recount();
  });

  it('given orders of a sale at the limit but younger than ORDER_SAGA_BACKLOG_AFTER_SECONDS (a saga keeping up), when a buyer orders, then 202; once they are older, the next buyer is 503 OVERLOADED', async () => {
    // given
    await putSale(stack.inventory, 'storm', { totalStock: 10 });
    await order('storm', 'ann').expect(202);
    await order('storm', 'ben').expect(202);
    const backlog = stack.app.get(SagaBacklog);
    await backlog.recount();

    // when
    const young = await order('storm', 'cid');

    // then
    expect({ status: young.status, code: young.body.code }).toEqual({ status: 202, code: undefined });
    expect(backlog.behind('storm')).toBe(false);

    // and when they have waited longer than a healthy saga takes, then the sale waits for the saga
    await olderThanTheAge('storm');
    await eventually(() => backlog.behind('storm'), { what: "the storm's orders counted once older" });
    const late = await order('storm', 'dan');
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 503, code: 'OVERLOADED' });
    expect(await orderRows(stack, { eventId: 'storm' })).toHaveLength(3);
  });

  it("given one sale's backlog at the limit, when a buyer orders from another sale, then 202: the limit is the sale's", async () => {
    // given
    await putSale(stack.inventory, 'packed', { totalStock: 10 });
    await putSale(stack.inventory, 'calm', { totalStock: 10 });
    await order('packed', 'ann').expect(202);
    await order('packed', 'ben').expect(202);
    await olderThanTheAge('packed');
    const backlog = stack.app.get(SagaBacklog);
    await eventually(() => backlog.behind('packed'), { what: "the packed sale's backlog at its limit" });

    // when
    const other = await order('calm', 'cid');

    // then
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 202, code: undefined });
    expect((await order('packed', 'dan')).body.code).toBe('OVERLOADED');
  });

  it('given a sale behind, when a buyer retries with the key of its accepted order, then the stored 202; a new key is refused and not claimed', async () => {
    // given
    await putSale(stack.inventory, 'keyed', { totalStock: 10 });
    const accepted: OrderView = (await order('keyed', 'kim', 'kim-key').expect(202)).body;
    await order('keyed', 'lou').expect(202);
    await olderThanTheAge('keyed');
    const backlog = stack.app.get(SagaBacklog);
    await eventually(() => backlog.behind('keyed'), { what: "the keyed sale's backlog at its limit" });

    // when
    const retried = await order('keyed', 'kim', 'kim-key');

    // then
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 202, body: accepted });
    expect(retried.headers.location).toBe(`/orders/${accepted.orderId}`);
    expect((await order('keyed', 'mia', 'mia-key').expect(503)).body.code).toBe('OVERLOADED');
    expect(await stack.db.query(`SELECT key FROM idempotency_keys WHERE key = 'mia-key'`)).toEqual([]);
    expect((await order('keyed', 'someone-else', 'kim-key').expect(422)).body.code).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('given two orders of a sale the saga has not ended (the limit), when a third buyer of that sale orders, then 503 OVERLOADED with Retry-After and nothing is kept', async () => {
    // given
    await putSale(stack.inventory, 'busy', { totalStock: 10 });
    await putSale(stack.inventory, 'gone', { totalStock: 0 });
    await order('gone', 'dan').expect(409);
    const first: OrderView = (await order('busy', 'ann').expect(202)).body;
    const second: OrderView = (await order('busy', 'ben').expect(202)).body;
    await olderThanTheAge('busy');
    const backlog = stack.app.get(SagaBacklog);
    await eventually(() => backlog.behind('busy'), { what: 'the backlog counted at its limit' });

    // when
    const refused = await order('busy', 'cid', 'cid-key');

    // then
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.code).toBe('OVERLOADED');
    expect(await orderRows(stack, { eventId: 'busy' })).toHaveLength(2);
    expect(await saleCounts(stack.inventory, 'busy')).toMatchObject({ available: 8, held: 2 });
    // A sale known to be sold out takes no stock: it is still answered as such.
    await order('gone', 'eve').expect(409);

    // and when the saga ends one of them, then the key refused before is free and takes a ticket
    await publishPaymentResult(stack, { orderId: first.orderId, paymentId: 'pay-ann', status: 'succeeded' });
    await eventually(async () => !(await backlog.recount(), backlog.behind('busy')), {
      what: 'the backlog under its limit',
    });
    await order('busy', 'cid', 'cid-key').expect(202);
    expect(second.status).toBe('CREATED');
  });
});
