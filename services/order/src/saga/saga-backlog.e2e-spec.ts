import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { orderRows, publishPaymentResult, startOrderStack, type OrderTestApp } from '../order.test-app';
import { SagaBacklog } from './saga-backlog';

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

  beforeAll(async () => {
    stack = await startOrderStack('backlog', {
      order: { ORDER_MAX_SAGA_BACKLOG: '2', ORDER_SOLD_OUT_MEMORY_MS: '10000' },
    });
  });
  afterAll(() => stack?.close());

  it('given two orders the saga has not ended (the limit), when a third buyer orders, then 503 OVERLOADED with Retry-After and nothing is kept', async () => {
    // given
    await putSale(stack.inventory, 'busy', { totalStock: 10 });
    await putSale(stack.inventory, 'gone', { totalStock: 0 });
    await order('gone', 'dan').expect(409);
    const first: OrderView = (await order('busy', 'ann').expect(202)).body;
    const second: OrderView = (await order('busy', 'ben').expect(202)).body;
    const backlog = stack.app.get(SagaBacklog);
    await eventually(() => backlog.behind(), { what: 'the backlog counted at its limit' });

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
    await eventually(async () => !(await backlog.recount(), backlog.behind()), {
      what: 'the backlog under its limit',
    });
    await order('busy', 'cid', 'cid-key').expect(202);
    expect(second.status).toBe('CREATED');
  });
});
