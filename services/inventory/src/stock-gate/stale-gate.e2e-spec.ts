import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { keyList, saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

/*
 * Redis is a cache of the ledger and may come back from the past (a snapshot restored, a lagging replica promoted).
 * Whatever it then offers, the ledger refuses to hold more tickets than the stock (docs/contract.md §6.1).
 */
describe('A stale Redis gate (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  const reserve = (orderId: string, userId: string) =>
    inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId, eventId: 'stale', userId, quantity: 1 });

  beforeAll(async () => {
    inventory = await startInventory('stale_gate');
  });
  afterAll(() => inventory.close());

  it('given the gate put back to before two holds, when a third buyer asks for the sold-out sale, then the ledger refuses, the answer is SOLD_OUT and the gate is rebuilt from the ledger', async () => {
    await putSale(inventory, 'stale', { totalStock: 2 }, { status: 201 });
    const keys = keyList(saleKeys(inventory.corner.namespace.redisPrefix, 'stale'));
    const before = await Promise.all(keys.map((key) => inventory.redis.dumpBuffer(key)));
    await reserve('s-1', 'u1').expect(201);
    await reserve('s-2', 'u2').expect(201);
    for (const [i, key] of keys.entries()) {
      if (before[i]) await inventory.redis.restore(key, 0, before[i]!, 'REPLACE');
      else await inventory.redis.del(key);
    }
    expect((await inventory.gate.counts('stale'))?.available).toBe(2); // the gate believes both are still for sale

    const { body } = await reserve('s-3', 'u3').expect(409);

    expect(body.code).toBe('SOLD_OUT');
    expect(await saleCounts(inventory, 'stale')).toMatchObject({
      totalStock: 2,
      available: 0,
      held: 2,
      sold: 0,
      ledger: { available: 0, held: 2, sold: 0 },
    });
    const [row] = await inventory.db.query(`SELECT held, sold FROM sales WHERE event_id = 'stale'`);
    expect(row).toEqual({ held: 2, sold: 0 });
  });

  it('given a sale with holds, when the ledger is asked to hold past its stock directly, then Postgres itself refuses', async () => {
    await putSale(inventory, 'guarded', { totalStock: 1 }, { status: 201 });
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'g-1', eventId: 'guarded', userId: 'u1', quantity: 1 })
      .expect(201);

    await expect(
      inventory.db.query(`UPDATE sales SET held = held + 1 WHERE event_id = 'guarded'`),
    ).rejects.toMatchObject({
      code: '23514', // check_violation: sales_not_oversold
    });
  });
});
