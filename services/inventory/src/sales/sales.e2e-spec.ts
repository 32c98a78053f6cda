import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ADMIN, AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

describe('Sales API (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;

  beforeAll(async () => {
    inventory = await startInventory('sales');
  });
  afterAll(() => inventory.close());

  it('given no sale, when PUT twice, then 201 creates it and 200 changes it', async () => {
    await putSale(inventory, 'opera', { totalStock: 5, perUserLimit: 2 }, { status: 201 });
    const { body } = await inventory
      .http()
      .put('/events/opera')
      .set(AS_ADMIN)
      .send({ name: 'Opera night', totalStock: 8, unitPrice: 9900, currency: 'USD', perUserLimit: 3 })
      .expect(200);
    expect(body).toMatchObject({
      eventId: 'opera',
      name: 'Opera night',
      totalStock: 8,
      available: 8,
      held: 0,
      sold: 0,
      unitPrice: 9900,
      currency: 'USD',
      perUserLimit: 3,
    });
  });

  it('given held and sold tickets, when totalStock is lowered below them, then 409 and nothing changes', async () => {
    await putSale(inventory, 'ballet', { totalStock: 5 }, { status: 201 });
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'b1', eventId: 'ballet', userId: 'u1', quantity: 2 })
      .expect(201);
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'b2', eventId: 'ballet', userId: 'u2', quantity: 1 })
      .expect(201);
    await inventory.http().post('/reservations/b2/commit').set(AS_ORDER_SERVICE).expect(200);
    const { body } = await inventory
      .http()
      .put('/events/ballet')
      .set(AS_ADMIN)
      .send({ name: 'Ballet', totalStock: 2, unitPrice: 4200, currency: 'EUR' })
      .expect(409);
    expect(body.code).toBe('STOCK_BELOW_ALLOCATED');
    expect(await saleCounts(inventory, 'ballet', { ledger: 'conserved' })).toMatchObject({
      totalStock: 5,
      available: 2,
      held: 2,
      sold: 1,
    });
    await inventory
      .http()
      .put('/events/ballet')
      .set(AS_ADMIN)
      .send({ name: 'Ballet', totalStock: 3, unitPrice: 4200, currency: 'EUR' })
      .expect(200);
    expect(await saleCounts(inventory, 'ballet', { ledger: 'conserved' })).toMatchObject({
      totalStock: 3,
      available: 0,
      held: 2,
      sold: 1,
    });
  });

  it('given held, sold and released tickets, when the sale is read, then its ledger counts come from the sale row, with no sum over its reservations', async () => {
    // given
    await putSale(inventory, 'circus', { totalStock: 9 }, { status: 201 });
    const reserve = (orderId: string, quantity: number) =>
      inventory
        .http()
        .post('/reservations')
        .set(AS_ORDER_SERVICE)
        .send({ orderId, eventId: 'circus', userId: orderId, quantity })
        .expect(201);
    await reserve('c1', 1);
    await reserve('c2', 2);
    await reserve('c3', 3);
    await inventory.http().post('/reservations/c2/commit').set(AS_ORDER_SERVICE).expect(200);
    await inventory.http().post('/reservations/c3/release').set(AS_ORDER_SERVICE).expect(200);
    const queries = jest.spyOn(PostgresQueryRunner.prototype, 'query');

    try {
      // when
      const { body } = await inventory.http().get('/events/circus').expect(200);

      // then
      expect(body).toMatchObject({
        available: 6,
        held: 1,
        sold: 2,
        ledger: { available: 6, held: 1, sold: 2 },
      });
      const sql = queries.mock.calls.map(([text]) => String(text));
      expect(sql.filter((text) => /\breservations\b/i.test(text))).toEqual([]);
    } finally {
      queries.mockRestore();
    }
  });

  it('answers 404 EVENT_NOT_FOUND for an unknown sale and 400 for a bad one', async () => {
    expect((await inventory.http().get('/events/nothing-here').expect(404)).body.code).toBe(
      'EVENT_NOT_FOUND',
    );
    const { body } = await inventory
      .http()
      .put('/events/x')
      .set(AS_ADMIN)
      .send({ name: '', totalStock: -1, unitPrice: 1.5, currency: 'euro' })
      .expect(400);
    expect(body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'currency',
      'name',
      'totalStock',
      'unitPrice',
    ]);
  });
});
