import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { lockSaleExclusive, lockSaleShared } from '../ledger/sale-lock';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

describe('Reservations API (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  const hold = (orderId: string, userId = 'buyer-1', quantity = 1, eventId = 'gig') =>
    inventory.http().post('/reservations').set(AS_ORDER_SERVICE).send({ orderId, eventId, userId, quantity });

  beforeAll(async () => {
    inventory = await startInventory('reservations');
    await putSale(inventory, 'gig', { totalStock: 10, perUserLimit: 4 }, { status: 201 });
  });
  afterAll(() => inventory.close());

  it('given stock, when an order reserves, then 201 returns the hold with price and expiry, recorded in the ledger', async () => {
    const { body } = await hold('order-a', 'buyer-1', 2).expect(201);
    expect(body).toMatchObject({
      orderId: 'order-a',
      eventId: 'gig',
      quantity: 2,
      unitPrice: 4200,
      currency: 'EUR',
      status: 'HELD',
    });
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now() + 9 * 60_000);
    const [row] = await inventory.db.query(
      `SELECT status, quantity FROM reservations WHERE order_id = 'order-a'`,
    );
    expect(row).toEqual({ status: 'HELD', quantity: 2 });
  });

  it('given a hold, when the same reserve is retried, then it returns the same hold and takes no more stock', async () => {
    const first = await hold('order-b', 'buyer-2', 1).expect(201);
    const before = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    const retries = await Promise.all([1, 2, 3].map(() => hold('order-b', 'buyer-2', 1)));
    expect(retries.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(retries.map((r) => r.body)).toEqual([first.body, first.body, first.body]);
    expect(await saleCounts(inventory, 'gig', { ledger: 'conserved' })).toEqual(before);
  });

  it('given a hold, when the order id is reused with other details, then 422 IDEMPOTENCY_KEY_REUSED', async () => {
    await hold('order-c', 'buyer-3', 1).expect(201);
    const { body } = await hold('order-c', 'buyer-3', 2).expect(422);
    expect(body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('given a hold, when committed repeatedly, then it is sold once and can no longer be released', async () => {
    await hold('order-d', 'buyer-4', 2).expect(201);
    const before = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    await inventory.http().post('/reservations/order-d/commit').set(AS_ORDER_SERVICE).expect(200);
    const again = await inventory
      .http()
      .post('/reservations/order-d/commit')
      .set(AS_ORDER_SERVICE)
      .expect(200);
    expect(again.body.status).toBe('COMMITTED');
    const after = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    expect(after.sold).toBe(before.sold + 2);
    expect(after.ledger.sold).toBe(before.ledger.sold + 2);
    const refused = await inventory
      .http()
      .post('/reservations/order-d/release')
      .set(AS_ORDER_SERVICE)
      .expect(409);
    expect(refused.body.code).toBe('RESERVATION_COMMITTED');
    expect(await saleCounts(inventory, 'gig', { ledger: 'conserved' })).toEqual(after);
  });

  it('given a hold, when released repeatedly, then the stock returns once and the hold can no longer be committed', async () => {
    await hold('order-e', 'buyer-5', 3).expect(201);
    const before = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    await inventory.http().post('/reservations/order-e/release').set(AS_ORDER_SERVICE).expect(200);
    await inventory.http().post('/reservations/order-e/release').set(AS_ORDER_SERVICE).expect(200);
    const after = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    expect(after.available).toBe(before.available + 3);
    expect(after.ledger.available).toBe(before.ledger.available + 3);
    expect(
      (await inventory.http().post('/reservations/order-e/commit').set(AS_ORDER_SERVICE).expect(409)).body
        .code,
    ).toBe('RESERVATION_RELEASED');
    expect((await hold('order-e', 'buyer-5', 3).expect(409)).body.code).toBe('RESERVATION_RELEASED');
  });

  it('given a release with its eventId before the hold arrived (the caller timed out), when the reserve arrives late, then it holds nothing', async () => {
    const before = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    const early = await inventory
      .http()
      .post('/reservations/order-late/release')
      .set(AS_ORDER_SERVICE)
      .send({ eventId: 'gig' })
      .expect(404);
    expect(early.body.code).toBe('RESERVATION_NOT_FOUND');

    expect((await hold('order-late', 'buyer-10', 1).expect(409)).body.code).toBe('RESERVATION_RELEASED');
    expect(await saleCounts(inventory, 'gig', { ledger: 'conserved' })).toEqual(before);
    const rows = await inventory.db.query(`SELECT 1 FROM reservations WHERE order_id = 'order-late'`);
    expect(rows).toHaveLength(0);
  });

  /**
   * Releases `orderId` (with its eventId) while another transaction holds the sale's lock, and answers once the
   * release did; fails if the release waits for the lock (5 s).
   */
  async function releaseWhileSaleLocked(lock: typeof lockSaleShared, orderId: string) {
    const locking = inventory.db.createQueryRunner();
    await locking.connect();
    await locking.startTransaction();
    await lock(locking.manager, 'gig');
    try {
      let answered = false;
      const release = inventory
        .http()
        .post(`/reservations/${orderId}/release`)
        .set(AS_ORDER_SERVICE)
        .send({ eventId: 'gig' })
        .then((response) => ((answered = true), response));
      await eventually(() => answered, { timeoutMs: 5_000, what: `the release of ${orderId} answered` });
      return await release;
    } finally {
      await locking.rollbackTransaction();
      await locking.release();
    }
  }

  it('given a released hold and a hold being recorded (the sale locked shared), when the release is repeated with its eventId, then it answers without waiting for the lock', async () => {
    // given
    await hold('order-again', 'buyer-11', 1).expect(201);
    await inventory
      .http()
      .post('/reservations/order-again/release')
      .set(AS_ORDER_SERVICE)
      .send({ eventId: 'gig' })
      .expect(200);

    // when / then: it answers while the lock is still held
    expect((await releaseWhileSaleLocked(lockSaleShared, 'order-again')).status).toBe(200);
  });

  it.each([
    ['exclusive (a rebuild of its gate)', lockSaleExclusive, 'order-ghost-1'],
    ['shared (holds being recorded)', lockSaleShared, 'order-ghost-2'],
  ])(
    'given the sale locked %s, when an order id the ledger does not know is released with its eventId, then it answers 404 without waiting for the lock and the id stays barred',
    async (_how, lock, orderId) => {
      // given the lock (held in releaseWhileSaleLocked)
      // when / then: it answers while the lock is still held
      const { body } = await releaseWhileSaleLocked(lock, orderId);
      expect(body.code).toBe('RESERVATION_NOT_FOUND');
      expect((await hold(orderId, 'buyer-12', 1).expect(409)).body.code).toBe('RESERVATION_RELEASED');
    },
  );

  it("given the order service's own lock on an order id (its space 727_003, one database), when inventory releases that unknown order id with its eventId, then it answers without waiting for order's lock", async () => {
    // given: order's lock as services/order's order transaction takes it
    const orderLock = (db: Parameters<typeof lockSaleShared>[0]) =>
      db.query('SELECT pg_advisory_xact_lock(727003, hashtext($1))', ['order-locked-by-order']);

    // when / then: it answers while order's lock is still held
    const { body } = await releaseWhileSaleLocked(orderLock, 'order-locked-by-order');
    expect(body.code).toBe('RESERVATION_NOT_FOUND');
  });

  it('refuses what the sale cannot give: unknown sale, sold out, per-user limit, unknown order', async () => {
    expect((await hold('order-f', 'buyer-6', 1, 'no-such-gig').expect(404)).body.code).toBe(
      'EVENT_NOT_FOUND',
    );
    expect((await hold('order-g', 'buyer-7', 5).expect(422)).body.code).toBe('PURCHASE_LIMIT_EXCEEDED');
    const { available } = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    await putSale(inventory, 'tiny', { totalStock: 1 }, { status: 201 });
    await hold('order-h', 'buyer-8', 1, 'tiny').expect(201);
    expect((await hold('order-i', 'buyer-9', 1, 'tiny').expect(409)).body.code).toBe('SOLD_OUT');
    expect(
      (await inventory.http().post('/reservations/nobody/commit').set(AS_ORDER_SERVICE).expect(404)).body
        .code,
    ).toBe('RESERVATION_NOT_FOUND');
    expect((await saleCounts(inventory, 'gig', { ledger: 'conserved' })).available).toBe(available);
  });

  it('rejects malformed input with 400 VALIDATION_FAILED per field, before it reaches Redis or Postgres', async () => {
    const before = await saleCounts(inventory, 'gig', { ledger: 'conserved' });
    const { body } = await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'bad id!', eventId: 'gig', userId: 'u', quantity: '2', admin: true })
      .expect(400);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'admin',
      'orderId',
      'quantity',
    ]);
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .set('content-type', 'application/json')
      .send('{"orderId":')
      .expect(400);
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .set('content-type', 'text/plain')
      .send('hello')
      .expect(415);
    const huge = await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'x'.repeat(100_000) })
      .expect(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(
      (await inventory.http().post('/reservations/bad%20id/commit').set(AS_ORDER_SERVICE).expect(400)).body
        .code,
    ).toBe('VALIDATION_FAILED');
    const [{ count }] = await inventory.db.query(
      `SELECT count(*)::int AS count FROM reservations WHERE order_id LIKE 'bad%'`,
    );
    expect(count).toBe(0);
    expect(await saleCounts(inventory, 'gig', { ledger: 'conserved' })).toEqual(before);
  });
});
