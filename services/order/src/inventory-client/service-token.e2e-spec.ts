import { DomainError } from '@boxoffice/errors/domain-error';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { orderRows, OrderTestApp, startOrderStack } from '../order.test-app';
import { InventoryClient } from './inventory.client';

/** Order holding a SERVICE_TOKEN inventory does not accept: a misconfiguration the buyer is not to blame for. */
describe('Order with a wrong SERVICE_TOKEN (e2e: real inventory, Postgres, Redis, RabbitMQ)', () => {
  let stack: OrderTestApp;

  beforeAll(async () => {
    stack = await startOrderStack('service_token', {
      order: { SERVICE_TOKEN: 'not-what-inventory-expects' },
    });
    await putSale(stack.inventory, 'gig', { totalStock: 5 });
  });
  afterAll(() => stack?.close());

  it('given inventory answers 401, when a buyer orders, then 503 UNAVAILABLE with Retry-After and nothing is kept', async () => {
    const before = await saleCounts(stack.inventory, 'gig');

    const response = await stack
      .http()
      .post('/orders')
      .set('Idempotency-Key', 'wrong-token-1')
      .send({ eventId: 'gig', userId: 'alice', quantity: 1 })
      .expect(503);

    expect(response.body.code).toBe('UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('1');
    expect(await orderRows(stack, { eventId: 'gig' })).toEqual([]);
    expect(await saleCounts(stack.inventory, 'gig')).toEqual(before);
  });

  it('given inventory answers 401, when the saga commits or releases, then UNAVAILABLE: retried, never dead-lettered', async () => {
    const client = stack.app.get(InventoryClient);

    // One call at a time: a second promise already running would reject unhandled while the first is awaited.
    for (const call of [
      () => client.release('some-order', 'gig'),
      () => client.commitMany(['some-order']),
      () => client.releaseMany([{ orderId: 'some-order', eventId: 'gig' }]),
    ]) {
      const answer = call();
      await expect(answer).rejects.toThrow(DomainError);
      await expect(answer).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('401'),
      });
    }
  });
});
