import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

const STOCK = 100;
const REQUESTS = 1000;
const USERS = 300;
const LIMIT = 2;

describe('1,000 concurrent reservations for 100 tickets (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;

  beforeAll(async () => {
    inventory = await startInventory('concurrency', { INVENTORY_DB_POOL_SIZE: '20' });
  });
  afterAll(() => inventory.close());

  const fire = (eventId: string, onHeld?: (holds: number) => void) => {
    let holds = 0;
    return Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const response = await inventory
          .http()
          .post('/reservations')
          .set(AS_ORDER_SERVICE)
          .send({ orderId: `${eventId}-o${i}`, eventId, userId: `user-${i % USERS}`, quantity: 1 + (i % 2) });
        if (response.status === 201) onHeld?.(++holds);
        return {
          status: response.status,
          code: response.body.code as string | undefined,
          userId: `user-${i % USERS}`,
          quantity: 1 + (i % 2),
        };
      }),
    );
  };

  async function expectExactlySold(eventId: string, results: Awaited<ReturnType<typeof fire>>) {
    const held = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(new Set(refused.map((r) => r.code))).toEqual(new Set(['SOLD_OUT', 'PURCHASE_LIMIT_EXCEEDED']));
    expect(held.reduce((sum, r) => sum + r.quantity, 0)).toBe(STOCK);
    const perUser = new Map<string, number>();
    for (const r of held) perUser.set(r.userId, (perUser.get(r.userId) ?? 0) + r.quantity);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(LIMIT);
    const counts = await saleCounts(inventory, eventId, { ledger: 'conserved' });
    expect(counts).toMatchObject({
      available: 0,
      held: STOCK,
      sold: 0,
      ledger: { available: 0, held: STOCK, sold: 0 },
    });
    const rows: { user_id: string; total: number }[] = await inventory.db.query(
      'SELECT user_id, sum(quantity)::int AS total FROM reservations WHERE event_id = $1 GROUP BY user_id',
      [eventId],
    );
    expect(Math.max(...rows.map((row) => row.total))).toBeLessThanOrEqual(LIMIT);
    return held.length;
  }

  it('given 100 tickets and a limit of 2, when 300 users send 1,000 reservations at once, then exactly 100 are held', async () => {
    await putSale(inventory, 'rush', { totalStock: STOCK, perUserLimit: LIMIT }, { status: 201 });
    const started = Date.now();
    const results = await fire('rush');
    const holds = await expectExactlySold('rush', results);
    console.log(
      `concurrency: ${REQUESTS} requests in ${Date.now() - started} ms, ${holds} holds for ${STOCK} tickets`,
    );
  });

  it('given the same rush, when Redis is wiped in the middle, then the gate is rebuilt from the ledger and still exactly 100 are held', async () => {
    await putSale(inventory, 'wiped', { totalStock: STOCK, perUserLimit: LIMIT }, { status: 201 });
    let wiped: Promise<void> | undefined;
    const results = await fire('wiped', (holds) => {
      if (holds === STOCK / 4)
        wiped = deleteKeys(`${inventory.corner.namespace.redisPrefix}:*`)
          .then(() => inventory.redis.script('FLUSH'))
          .then(() => undefined);
    });
    await wiped;
    expect(wiped).toBeDefined();
    await expectExactlySold('wiped', results);
    // And the gate notices a wipe after the rush too: same numbers rebuilt from the ledger.
    await deleteKeys(`${inventory.corner.namespace.redisPrefix}:*`);
    expect(await saleCounts(inventory, 'wiped', { ledger: 'conserved' })).toMatchObject({
      available: 0,
      held: STOCK,
      sold: 0,
    });
  });
});
