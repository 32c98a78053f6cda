import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';

interface Result {
  status: number;
  reservation?: { status: string };
  error?: { code: string };
}

const ROUNDS = 12;
const BATCHES = 6;
const PER_BATCH = 10;

describe("A sale's counters under batches that meet on its row (e2e, real Postgres and Redis)", () => {
  let inventory: InventoryTestApp;
  const post = async (path: string, body: object) =>
    (await inventory.http().post(path).set(AS_ORDER_SERVICE).send(body).expect(200)).body.results as Result[];
  const answers = (results: Result[]) => results.map((r) => r.error?.code ?? r.reservation?.status);
  beforeAll(async () => {
    inventory = await startInventory('counters', {
      HOLD_SWEEP_INTERVAL_MS: '600000',
      INVENTORY_DB_POOL_SIZE: '20',
    });
  });
  afterAll(() => inventory.close());

  it('given one sale, when reserves, commits and releases go in many concurrent batches, then every item is answered as alone (none a deadlock victim) and the counters add up', async () => {
    // given
    const stock = ROUNDS * BATCHES * PER_BATCH;
    await putSale(inventory, 'hot', { totalStock: stock, perUserLimit: 1 }, { status: 201 });
    const ids = (round: number, batch: number) =>
      Array.from({ length: PER_BATCH }, (_, k) => `r${round}-b${batch}-${k}`);

    // when: each round reserves its batches while the previous round's are committed (even) and released (odd)
    const seen: string[] = [];
    let previous: string[][] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const batches = round < ROUNDS ? Array.from({ length: BATCHES }, (_, b) => ids(round, b)) : [];
      const work = [
        ...batches.map((orderIds) =>
          post('/reservations/batch', {
            version: 1,
            items: orderIds.map((orderId) => ({ orderId, eventId: 'hot', userId: orderId, quantity: 1 })),
          }).then((results) => seen.push(...answers(results).map((a) => `reserve ${a}`))),
        ),
        ...previous.map((orderIds, b) =>
          (b % 2 === 0
            ? post('/reservations/commits', { version: 1, orderIds })
            : post('/reservations/releases', { version: 1, items: orderIds.map((orderId) => ({ orderId })) })
          ).then((results) =>
            seen.push(...answers(results).map((a) => `${b % 2 === 0 ? 'commit' : 'release'} ${a}`)),
          ),
        ),
      ];
      await Promise.all(work);
      previous = batches;
    }

    // then
    const tally = seen.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a]: (acc[a] ?? 0) + 1 }), {});
    const half = (ROUNDS * BATCHES * PER_BATCH) / 2;
    expect(tally).toEqual({ 'reserve HELD': stock, 'commit COMMITTED': half, 'release RELEASED': half });
    expect(await saleCounts(inventory, 'hot')).toMatchObject({ held: 0, sold: half, available: half });
  });
});
