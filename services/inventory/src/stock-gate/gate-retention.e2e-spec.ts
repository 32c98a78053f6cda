import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';
import { GateRetention } from './gate-retention';

describe('Gate retention: idle sales leave Redis, their ledger stays (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  let retention: GateRetention;
  const hold = (orderId: string, eventId: string, userId: string) =>
    inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId, eventId, userId, quantity: 1 });
  /** Puts a sale's every change `hours` into the past, as if nobody had touched it since. */
  const ageSale = (eventId: string, hours: number) =>
    Promise.all([
      inventory.db.query(
        `UPDATE sales SET updated_at = now() - make_interval(hours => $2) WHERE event_id = $1`,
        [eventId, hours],
      ),
      inventory.db.query(
        `UPDATE reservations SET updated_at = now() - make_interval(hours => $2) WHERE event_id = $1`,
        [eventId, hours],
      ),
    ]);

  beforeAll(async () => {
    inventory = await startInventory('gate_retention', { INVENTORY_GATE_IDLE_HOURS: '24' });
    retention = inventory.app.get(GateRetention);
  });
  afterAll(() => inventory.close());

  it('given a sale idle for longer than the idle time and one with a hold open, when the retention sweeps, then only the idle sale leaves Redis and is rebuilt from the ledger on the next call', async () => {
    // given
    await putSale(inventory, 'past', { totalStock: 5 }, { status: 201 });
    await hold('past-1', 'past', 'u1').expect(201);
    await inventory.http().post('/reservations/past-1/commit').set(AS_ORDER_SERVICE).expect(200);
    await putSale(inventory, 'open', { totalStock: 5 }, { status: 201 });
    await hold('open-1', 'open', 'u1').expect(201);
    await Promise.all([ageSale('past', 25), ageSale('open', 25)]);

    // when
    const dropped = await retention.sweep();

    // then
    expect(dropped).toEqual(['past']);
    expect(await inventory.gate.counts('past')).toBeNull();
    expect(await inventory.gate.counts('open')).toMatchObject({ held: 1 });
    expect(await saleCounts(inventory, 'past')).toMatchObject({
      available: 4,
      sold: 1,
      ledger: { available: 4, sold: 1 },
    });
  });
});
