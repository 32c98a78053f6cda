import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ADMIN, AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from './inventory.test-app';

/** Who may change what (docs/contract.md §3): sales with ADMIN_TOKEN, holds with SERVICE_TOKEN, reading is open. */
describe('Inventory bearer tokens (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  const WRONG = { authorization: 'Bearer not-the-token-at-all-0000' };
  const change = { name: 'Changed', totalStock: 99, unitPrice: 1, currency: 'USD' };
  const hold = { orderId: 'o-guarded', eventId: 'guarded', userId: 'alice', quantity: 1 };

  beforeAll(async () => {
    inventory = await startInventory('api_tokens');
    await putSale(inventory, 'guarded', { totalStock: 5 }, { status: 201 });
  });
  afterAll(() => inventory.close());

  const expectUnauthorized = (response: { status: number; body: { code: string }; headers: object }) => {
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
    expect(response.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
  };

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', WRONG],
    ['the service token', AS_ORDER_SERVICE],
    ['a token without "Bearer"', { authorization: AS_ADMIN.authorization.replace('Bearer ', '') }],
  ])(
    'given %s, when a sale is changed, then 401 UNAUTHORIZED and the sale is unchanged',
    async (_, headers) => {
      const before = await inventory.http().get('/events/guarded').expect(200);

      expectUnauthorized(await inventory.http().put('/events/guarded').set(headers).send(change));
      expectUnauthorized(await inventory.http().put('/events/brand-new').set(headers).send(change));

      expect((await inventory.http().get('/events/guarded').expect(200)).body).toEqual(before.body);
      expect((await inventory.http().get('/events/brand-new').expect(404)).body.code).toBe('EVENT_NOT_FOUND');
    },
  );

  it('given no token and a bad body, when a sale is changed, then 401 before validation tells anything', async () => {
    expectUnauthorized(await inventory.http().put('/events/guarded').send({ name: '' }));
  });

  it('given the admin token, when a sale is changed, then 200', async () => {
    const { body } = await inventory
      .http()
      .put('/events/guarded')
      .set(AS_ADMIN)
      .send({ name: 'Guarded', totalStock: 6, unitPrice: 4200, currency: 'EUR' })
      .expect(200);
    expect(body).toMatchObject({ eventId: 'guarded', totalStock: 6, available: 6 });
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', WRONG],
    ['the admin token', AS_ADMIN],
  ])(
    'given %s, when stock is reserved, committed or released, then 401 and nothing moves',
    async (_, headers) => {
      const before = await saleCounts(inventory, 'guarded');

      expectUnauthorized(await inventory.http().post('/reservations').set(headers).send(hold));
      expectUnauthorized(await inventory.http().post('/reservations/o-guarded/commit').set(headers));
      expectUnauthorized(
        await inventory
          .http()
          .post('/reservations/o-guarded/release')
          .set(headers)
          .send({ eventId: 'guarded' }),
      );

      expect(await saleCounts(inventory, 'guarded')).toEqual(before);
      expect((await inventory.http().get('/reservations/o-guarded').expect(404)).body.code).toBe(
        'RESERVATION_NOT_FOUND',
      );
    },
  );

  it('given the service token, when stock is reserved and committed, then 201 and 200, and reading needs no token', async () => {
    await inventory.http().post('/reservations').set(AS_ORDER_SERVICE).send(hold).expect(201);
    await inventory.http().post('/reservations/o-guarded/commit').set(AS_ORDER_SERVICE).expect(200);

    expect((await inventory.http().get('/reservations/o-guarded').expect(200)).body.status).toBe('COMMITTED');
    expect((await inventory.http().get('/events/guarded').expect(200)).body).toMatchObject({ sold: 1 });
    await inventory.http().get('/health').expect(200);
    await inventory.http().get('/docs/json').expect(200);
  });
});
