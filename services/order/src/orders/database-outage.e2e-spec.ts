import { eventually } from '@boxoffice/testing/eventually';
import { InventoryClient } from '../inventory-client/inventory.client';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { OrderTestApp, startOrderStack } from '../order.test-app';

describe("Order's Postgres down while an order is taken (e2e: real inventory, Postgres behind a proxy, RabbitMQ)", () => {
  let stack: OrderTestApp;

  beforeAll(async () => {
    stack = await startOrderStack('order_db_down', { proxyPostgres: true });
    await putSale(stack.inventory, 'gala', { totalStock: 3 });
  });
  afterAll(() => stack?.close());

  it('given the stock was held, when the order cannot be recorded, then 503 with Retry-After, the hold is released and nothing is half-done', async () => {
    const client = stack.app.get(InventoryClient);
    const reserve = client.reserve.bind(client);
    jest.spyOn(client, 'reserve').mockImplementationOnce(async (request) => {
      const hold = await reserve(request);
      await stack.postgresProxy!.cut(); // the database goes away between the hold and the order's transaction
      return hold;
    });

    const response = await stack.http().post('/orders').send({ eventId: 'gala', userId: 'u1', quantity: 2 });

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('1');
    expect(await saleCounts(stack.inventory, 'gala')).toMatchObject({ available: 3, held: 0, sold: 0 });
    const holds = await stack.inventory.db.query(`SELECT status FROM reservations WHERE user_id = 'u1'`);
    expect(holds).toEqual([{ status: 'RELEASED' }]);

    await stack.postgresProxy!.restore();
    await eventually(async () => (await stack.http().get('/health')).status === 200, {
      what: 'order healthy again',
    });
    expect(await stack.db.query(`SELECT order_id FROM orders WHERE user_id = 'u1'`)).toEqual([]);
    expect(await stack.db.query('SELECT message_id FROM outbox')).toEqual([]);
    await stack.http().post('/orders').send({ eventId: 'gala', userId: 'u1', quantity: 2 }).expect(202);
  });
});
