import { putSale } from '@boxoffice/testing/sale-stock';
import { AS_ADMIN, AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

/** POST /reservations/held (docs/contract.md §3): what order's hold reconciliation reads. */
describe('Holds still HELD, listed (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  const post = (path: string, body: object) => inventory.http().post(path).set(AS_ORDER_SERVICE).send(body);
  const hold = (orderId: string, eventId = 'listed') =>
    post('/reservations', { orderId, eventId, userId: orderId, quantity: 1 }).expect(201);
  const held = async (body: object) =>
    (await post('/reservations/held', { version: 1, ...body }).expect(200)).body.holds as Array<{
      orderId: string;
      eventId: string;
      heldAt: string;
    }>;

  beforeAll(async () => {
    inventory = await startInventory('held_holds', { HOLD_SWEEP_INTERVAL_MS: '600000' });
    await putSale(inventory, 'listed', { totalStock: 10 }, { status: 201 });
    await putSale(inventory, 'other', { totalStock: 10 }, { status: 201 });
  });
  afterAll(() => inventory.close());

  it('given holds of two sales, one released, one committed and one taken after the time, when listed page by page, then the HELD ones taken before it, oldest first', async () => {
    // given: each hold a moment older than the next, on Postgres's clock
    for (const orderId of ['h-1', 'h-2', 'h-3', 'h-4', 'h-5']) await hold(orderId);
    await hold('h-6', 'other');
    await post('/reservations/h-2/release', { eventId: 'listed' }).expect(200);
    await post('/reservations/h-4/commit', {}).expect(200);
    await inventory.db.query(
      `UPDATE reservations SET created_at = created_at - interval '1 hour', expires_at = expires_at - interval '1 hour'
       WHERE order_id <> 'h-5'`,
    );
    const heldBefore = new Date(Date.now() - 30 * 60_000).toISOString();

    // when
    const first = await held({ heldBefore, limit: 2 });
    const second = await held({ heldBefore, limit: 2, after: first[1].orderId });

    // then
    expect(first.map(({ orderId, eventId }) => [orderId, eventId])).toEqual([
      ['h-1', 'listed'],
      ['h-3', 'listed'],
    ]);
    expect(second.map(({ orderId, eventId }) => [orderId, eventId])).toEqual([['h-6', 'other']]);
    expect(Date.parse(first[0].heldAt)).toBeLessThan(Date.parse(heldBefore));
    expect(await held({ heldBefore, limit: 10, after: 'no-such-order' })).toEqual([]);
    expect(await held({ heldBefore: new Date().toISOString(), limit: 10 })).toHaveLength(4);
  });

  it('given holds taken an hour ago and one just now, when listed by age (version 2), then those older than the age, on inventory’s own clock', async () => {
    // given: the holds of the test before, all but h-5 an hour old
    const byAge = async (body: object) =>
      (await post('/reservations/held', { version: 2, ...body }).expect(200)).body.holds as Array<{
        orderId: string;
      }>;

    // when
    const older = await byAge({ heldForSeconds: 1800, limit: 10 });
    const any = await byAge({ heldForSeconds: 0, limit: 10 });

    // then
    expect(older.map(({ orderId }) => orderId)).toEqual(['h-1', 'h-3', 'h-6']);
    expect(any.map(({ orderId }) => orderId)).toEqual(['h-1', 'h-3', 'h-6', 'h-5']);
  });

  it.each([
    ['version 2 without heldForSeconds', { version: 2, heldBefore: new Date().toISOString(), limit: 1 }],
    ['a negative heldForSeconds', { version: 2, heldForSeconds: -1, limit: 1 }],
    ['heldForSeconds not an integer', { version: 2, heldForSeconds: '60', limit: 1 }],
    ['version 3', { version: 3, heldForSeconds: 60, limit: 1 }],
    ['no heldBefore', { version: 1, limit: 1 }],
    ['heldBefore not a date', { version: 1, heldBefore: 'yesterday', limit: 1 }],
    ['a limit of 0', { version: 1, heldBefore: new Date().toISOString(), limit: 0 }],
    ['no version', { heldBefore: new Date().toISOString(), limit: 1 }],
    ['a bad after', { version: 1, heldBefore: new Date().toISOString(), limit: 1, after: 'bad id' }],
  ])('given %s, when listed, then 400 VALIDATION_FAILED', async (_, body) => {
    const response = await post('/reservations/held', body);
    expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it.each([
    ['no token', {}],
    ['the admin token', AS_ADMIN],
  ])('given %s, when listed, then 401 UNAUTHORIZED', async (_, headers) => {
    const response = await inventory
      .http()
      .post('/reservations/held')
      .set(headers)
      .send({ version: 1, heldBefore: new Date().toISOString(), limit: 1 });
    expect([response.status, response.body.code]).toEqual([401, 'UNAUTHORIZED']);
  });
});
