import { keyList, saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

interface Item {
  orderId: string;
  eventId: string;
  userId: string;
  quantity: number;
}

describe('Reservation batches (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  const post = (path: string, body: object) => inventory.http().post(path).set(AS_ORDER_SERVICE).send(body);
  const reserveBatch = async (items: unknown[]) =>
    (await post('/reservations/batch', { version: 1, items }).expect(200)).body.results as Result[];
  const item = (orderId: string, eventId: string, userId = orderId, quantity = 1): Item => ({
    orderId,
    eventId,
    userId,
    quantity,
  });
  const codes = (results: Result[]) => results.map((r) => r.error?.code ?? r.reservation?.status);

  beforeAll(async () => {
    inventory = await startInventory('batches', {
      HOLD_SWEEP_INTERVAL_MS: '600000',
      INVENTORY_BATCH_MAX_ITEMS: '200',
      INVENTORY_DB_POOL_SIZE: '20',
      HTTP_BODY_LIMIT_BYTES: '65536',
    });
  });
  afterAll(() => inventory.close());

  it('given a mixed batch, when it is reserved, then each item is answered as its single call would be, in order', async () => {
    // given
    await putSale(inventory, 'mixed', { totalStock: 5, perUserLimit: 2 }, { status: 201 });
    await putSale(inventory, 'full', { totalStock: 1 }, { status: 201 });
    await post('/reservations', item('taken', 'full')).expect(201);
    await post('/reservations', item('gone', 'mixed', 'g')).expect(201);
    await post('/reservations/gone/release', {}).expect(200);

    // when
    const results = await reserveBatch([
      item('m-1', 'mixed', 'u1', 2),
      item('m-2', 'full'),
      item('m-3', 'mixed', 'u1', 1),
      item('m-4', 'no-such-sale'),
      item('m-1', 'mixed', 'u1', 2),
      { orderId: 'bad id', eventId: 'mixed', userId: 'u2', quantity: '1' },
      item('gone', 'mixed', 'g'),
      item('m-1', 'mixed', 'u1', 1),
      item('m-5', 'mixed', 'u5', 2),
    ]);

    // then
    expect(results.map((r) => r.status)).toEqual([201, 409, 422, 404, 201, 400, 409, 422, 201]);
    expect(codes(results)).toEqual([
      'HELD',
      'SOLD_OUT',
      'PURCHASE_LIMIT_EXCEEDED',
      'EVENT_NOT_FOUND',
      'HELD',
      'VALIDATION_FAILED',
      'RESERVATION_RELEASED',
      'IDEMPOTENCY_KEY_REUSED',
      'HELD',
    ]);
    expect(results[4]).toEqual(results[0]); // a repeated order id answers its first answer
    expect(results[0].reservation).toMatchObject({
      orderId: 'm-1',
      quantity: 2,
      unitPrice: 4200,
      currency: 'EUR',
    });
    expect(results[5].error!.details!.map((d) => d.field).sort()).toEqual(['orderId', 'quantity']);
    expect(await saleCounts(inventory, 'mixed')).toMatchObject({ held: 4, available: 1 });
    const rows = await inventory.db.query(
      `SELECT order_id, quantity FROM reservations WHERE order_id LIKE 'm-%' ORDER BY order_id`,
    );
    expect(rows).toEqual([
      { order_id: 'm-1', quantity: 2 },
      { order_id: 'm-5', quantity: 2 },
    ]);
  });

  it('refuses a malformed envelope whole: 400 VALIDATION_FAILED, nothing held', async () => {
    for (const body of [
      { items: [item('e-1', 'mixed')] },
      { version: 1, items: [] },
      { version: 1, items: 'no' },
      { version: 1, items: Array.from({ length: 201 }, (_, i) => item(`e-${i}`, 'mixed')) },
      { version: 1, items: [item('e-1', 'mixed')], extra: true },
    ]) {
      expect((await post('/reservations/batch', body).expect(400)).body.code).toBe('VALIDATION_FAILED');
    }
    const [{ count }] = await inventory.db.query(
      `SELECT count(*)::int AS count FROM reservations WHERE order_id LIKE 'e-%'`,
    );
    expect(count).toBe(0);
  });

  it('given 50 tickets, when a batch of 120 buyers asks, then exactly 50 are held and the rest are SOLD_OUT', async () => {
    await putSale(inventory, 'big', { totalStock: 50 }, { status: 201 });

    const results = await reserveBatch(Array.from({ length: 120 }, (_, i) => item(`big-${i}`, 'big')));

    expect(results.slice(0, 50).every((r) => r.status === 201)).toBe(true);
    expect(new Set(codes(results.slice(50)))).toEqual(new Set(['SOLD_OUT']));
    expect(await saleCounts(inventory, 'big')).toMatchObject({ available: 0, held: 50 });
  });

  it('given 100 tickets, when 8 batches of 40 race with single reserves, then exactly 100 are held and gate and ledger agree', async () => {
    await putSale(inventory, 'race', { totalStock: 100, perUserLimit: 3 }, { status: 201 });
    const batches = Array.from({ length: 8 }, (_, b) =>
      reserveBatch(
        Array.from({ length: 40 }, (_, i) =>
          item(`r-${b}-${i}`, 'race', `u${(b * 40 + i) % 90}`, 1 + (i % 2)),
        ),
      ),
    );
    const singles = Array.from({ length: 40 }, (_, i) =>
      post('/reservations', item(`rs-${i}`, 'race', `s${i}`, 1)),
    );

    const batchResults = (await Promise.all(batches)).flat();
    const singleResults = await Promise.all(singles);

    const heldQuantity =
      batchResults.filter((r) => r.status === 201).reduce((sum, r) => sum + r.reservation!.quantity, 0) +
      singleResults.filter((r) => r.status === 201).length;
    expect(heldQuantity).toBe(100);
    expect(await saleCounts(inventory, 'race')).toMatchObject({
      available: 0,
      held: 100,
      ledger: { held: 100 },
    });
    const perUser: { total: number }[] = await inventory.db.query(
      `SELECT sum(quantity)::int AS total FROM reservations WHERE event_id = 'race' GROUP BY user_id`,
    );
    expect(Math.max(...perUser.map((row) => row.total))).toBeLessThanOrEqual(3);
  });

  /** A sale of `stock` whose gate is put back to before `taken` were held: it believes all its stock is free. */
  async function staleGate(eventId: string, stock: number, taken: string[]) {
    await putSale(inventory, eventId, { totalStock: stock }, { status: 201 });
    const keys = keyList(saleKeys(inventory.corner.namespace.redisPrefix, eventId));
    const snapshot = await Promise.all(keys.map((key) => inventory.redis.dumpBuffer(key)));
    await reserveBatch(taken.map((id) => item(id, eventId)));
    for (const [i, key] of keys.entries()) {
      if (snapshot[i]) await inventory.redis.restore(key, 0, snapshot[i]!, 'REPLACE');
      else await inventory.redis.del(key);
    }
    expect((await inventory.gate.counts(eventId))?.available).toBe(stock);
  }

  it('given the gate put back to before the ledger filled, when a batch asks, then the ledger refuses every extra ticket and the gate is rebuilt', async () => {
    // given
    await staleGate('stale', 3, ['st-1', 'st-2', 'st-3']);

    // when
    const results = await reserveBatch([item('st-4', 'stale'), item('st-5', 'stale'), item('st-1', 'stale')]);

    // then: the two new ones refused, the repeat answered as held
    expect(codes(results)).toEqual(['SOLD_OUT', 'SOLD_OUT', 'HELD']);
    expect(await saleCounts(inventory, 'stale')).toMatchObject({
      available: 0,
      held: 3,
      ledger: { held: 3 },
    });
  });

  it('given a stale gate and one ticket left in the ledger, when a batch of two new orders asks, then the ledger refuses the group and the items are judged one by one: one held, one SOLD_OUT', async () => {
    // given
    await staleGate('stale-one', 3, ['so-1', 'so-2']);

    // when
    const results = await reserveBatch([
      item('so-3', 'stale-one'),
      item('so-4', 'stale-one'),
      item('so-1', 'stale-one'),
    ]);

    // then
    expect(codes(results)).toEqual(['HELD', 'SOLD_OUT', 'HELD']);
    expect(await saleCounts(inventory, 'stale-one')).toMatchObject({
      available: 0,
      held: 3,
      ledger: { held: 3 },
    });
  });

  it('given Redis wiped, when a batch asks, then the sale is rebuilt from the ledger and only what is left is held', async () => {
    await putSale(inventory, 'wiped', { totalStock: 4 }, { status: 201 });
    await reserveBatch([item('w-1', 'wiped'), item('w-2', 'wiped')]);
    await deleteKeys(`${inventory.corner.namespace.redisPrefix}:*`);
    await inventory.redis.script('FLUSH');

    const results = await reserveBatch(['w-3', 'w-4', 'w-5', 'w-2'].map((id) => item(id, 'wiped')));

    expect(codes(results)).toEqual(['HELD', 'HELD', 'SOLD_OUT', 'HELD']);
    expect(await saleCounts(inventory, 'wiped')).toMatchObject({ available: 0, held: 4 });
  });

  it('given Redis wiped right after the batch took its holds, when the batch records them, then each is taken again from the rebuilt gate and held once', async () => {
    // given: the wipe lands between the gate's script and the ledger's transaction
    await putSale(inventory, 'between', { totalStock: 3 }, { status: 201 });
    const reserveMany = inventory.gate.reserveMany.bind(inventory.gate);
    const wiped = jest.spyOn(inventory.gate, 'reserveMany').mockImplementationOnce(async (...args) => {
      const outcomes = await reserveMany(...args);
      await deleteKeys(`${inventory.corner.namespace.redisPrefix}:{between}:*`);
      return outcomes;
    });

    // when
    const results = await reserveBatch(['bt-1', 'bt-2', 'bt-3', 'bt-4'].map((id) => item(id, 'between')));

    // then
    expect(wiped).toHaveBeenCalled();
    expect(codes(results)).toEqual(['HELD', 'HELD', 'HELD', 'SOLD_OUT']);
    // the holds are in the gate again (taken again there, not only written to the ledger)
    expect(await inventory.gate.counts('between')).toMatchObject({ available: 0, held: 3 });
    expect(await saleCounts(inventory, 'between')).toMatchObject({
      available: 0,
      held: 3,
      ledger: { held: 3 },
    });
  });

  it('given 60 holds, when commit and release batches overlapping in opposite orders race with single commits, then none fails, each hold is decided once and gate and ledger agree', async () => {
    // given
    await putSale(inventory, 'crowd', { totalStock: 60 }, { status: 201 });
    const ids = Array.from({ length: 60 }, (_, i) => `x-${String(i).padStart(2, '0')}`);
    await reserveBatch(ids.map((id) => item(id, 'crowd')));
    const commits = (orderIds: string[]) => post('/reservations/commits', { version: 1, orderIds });
    const releases = (orderIds: string[]) =>
      post('/reservations/releases', { version: 1, items: orderIds.map((orderId) => ({ orderId })) });

    // when
    const answers = await Promise.all([
      commits(ids.slice(0, 40)),
      commits(ids.slice(0, 40).reverse()),
      releases(ids.slice(20).reverse()),
      releases(ids.slice(20, 50)),
      ...ids.slice(30, 36).map((id) => post(`/reservations/${id}/commit`, {})),
    ]);

    // then: every item answered its hold's one decision (COMMITTED or RELEASED), never a failure
    const rows: { order_id: string; status: string }[] = await inventory.db.query(
      `SELECT order_id, status FROM reservations WHERE event_id = 'crowd'`,
    );
    const decided = new Map(rows.map((row) => [row.order_id, row.status]));
    expect([...decided.values()].every((status) => status !== 'HELD')).toBe(true);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const results: Result[] = answer.body.results ?? [{ status: 200, reservation: answer.body }];
      for (const result of results) {
        expect(result.status).toBeLessThan(500);
        const orderId = result.reservation?.orderId;
        if (orderId) expect(result.reservation!.status).toBe(decided.get(orderId));
        else expect(['RESERVATION_COMMITTED', 'RESERVATION_RELEASED']).toContain(result.error!.code);
      }
    }
    const sold = [...decided.values()].filter((status) => status === 'COMMITTED').length;
    expect(await saleCounts(inventory, 'crowd')).toMatchObject({ held: 0, sold, available: 60 - sold });
  });

  it('given holds in every state, when committed in one batch, then each answers as its single commit would', async () => {
    // given
    await putSale(inventory, 'settle', { totalStock: 20 }, { status: 201 });
    await reserveBatch(['c-held', 'c-held-2', 'c-sold', 'c-late', 'c-gone'].map((id) => item(id, 'settle')));
    await post('/reservations/c-sold/commit', {}).expect(200);
    await post('/reservations/c-gone/release', {}).expect(200);
    await inventory.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = 'c-late'`,
    );

    // when
    const { body } = await post('/reservations/commits', {
      version: 1,
      orderIds: ['c-held', 'c-sold', 'c-late', 'c-gone', 'c-nobody', 'bad id', 'c-held', 'c-held-2'],
    }).expect(200);

    // then
    const results = body.results as Result[];
    expect(results.map((r) => r.status)).toEqual([200, 200, 409, 409, 404, 400, 200, 200]);
    expect(codes(results)).toEqual([
      'COMMITTED',
      'COMMITTED',
      'HOLD_EXPIRED',
      'RESERVATION_RELEASED',
      'RESERVATION_NOT_FOUND',
      'VALIDATION_FAILED',
      'COMMITTED',
      'COMMITTED',
    ]);
    expect(await saleCounts(inventory, 'settle')).toMatchObject({ sold: 3, held: 0, available: 17 });
  });

  it('given holds in every state, when released in one batch, then each answers as its single release would', async () => {
    // given
    await putSale(inventory, 'free', { totalStock: 20 }, { status: 201 });
    await reserveBatch(['f-held', 'f-held-2', 'f-sold', 'f-gone'].map((id) => item(id, 'free')));
    await post('/reservations/f-sold/commit', {}).expect(200);
    await post('/reservations/f-gone/release', {}).expect(200);

    // when
    const { body } = await post('/reservations/releases', {
      version: 1,
      items: [
        { orderId: 'f-held' },
        { orderId: 'f-sold' },
        { orderId: 'f-gone' },
        { orderId: 'f-nobody' },
        { orderId: 'f-late', eventId: 'free' },
        { orderId: 'f-held-2', eventId: 'free' },
        { orderId: 'f-held', admin: true },
      ],
    }).expect(200);

    // then
    const results = body.results as Result[];
    expect(codes(results)).toEqual([
      'RELEASED',
      'RESERVATION_COMMITTED',
      'RELEASED',
      'RESERVATION_NOT_FOUND',
      'RESERVATION_NOT_FOUND',
      'RELEASED',
      'VALIDATION_FAILED',
    ]);
    expect(await saleCounts(inventory, 'free')).toMatchObject({ sold: 1, held: 0, available: 19 });
    // the unrecorded order id is barred: its late reserve holds nothing
    expect(codes(await reserveBatch([item('f-late', 'free')]))).toEqual(['RESERVATION_RELEASED']);
  });
});

interface Result {
  status: number;
  reservation?: Item & { status: string; unitPrice: number; currency: string; expiresAt: string };
  error?: { code: string; message: string; details?: { field: string; messages: string[] }[] };
}
