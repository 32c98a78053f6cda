import { eventually } from '@boxoffice/testing/eventually';
import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';
import { HoldExpiry } from './hold-expiry';

/*
 * The write order between Redis and Postgres (docs/architecture.md#inventory-how-a-ticket-is-never-sold-twice):
 * a hold is taken in Redis, then recorded; a commit or release is recorded, then applied to Redis. Each test stops the service between the two
 * writes and checks that no ticket is counted twice or lost.
 */
describe('Write order between Redis and Postgres (e2e, real Postgres and Redis)', () => {
  let inventory: InventoryTestApp;
  let expiry: HoldExpiry;
  const gateEqualsLedger = async (eventId: string) => {
    const counts = await saleCounts(inventory, eventId, { ledger: 'conserved' });
    return (
      counts.available === counts.ledger.available &&
      counts.held === counts.ledger.held &&
      counts.sold === counts.ledger.sold
    );
  };

  beforeAll(async () => {
    inventory = await startInventory('write_order', {
      HOLD_TTL_SECONDS: '1',
      HOLD_SWEEP_INTERVAL_MS: '600000',
    });
    expiry = inventory.app.get(HoldExpiry);
  });
  afterAll(() => inventory.close());

  it('given Redis is wiped between taking a hold and recording it, then the hold is taken again on the rebuilt gate, counted once', async () => {
    await putSale(inventory, 'w1', { totalStock: 3 }, { status: 201 });
    const reserve = inventory.gate.reserve.bind(inventory.gate);
    const race = jest.spyOn(inventory.gate, 'reserve');
    race.mockImplementationOnce(async (...args) => {
      const outcome = await reserve(...args);
      await deleteKeys(`${inventory.corner.namespace.redisPrefix}:*`);
      await saleCounts(inventory, 'w1', { ledger: 'conserved' }); // rebuilds from the ledger, which does not have the hold yet
      return outcome;
    });

    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'w1-a', eventId: 'w1', userId: 'u1', quantity: 2 })
      .expect(201);

    expect(race).toHaveBeenCalledTimes(2);
    expect(await saleCounts(inventory, 'w1', { ledger: 'conserved' })).toMatchObject({
      available: 1,
      held: 2,
      ledger: { available: 1, held: 2 },
    });
    race.mockRestore();
  });

  it('given a crash after Redis took a hold and before Postgres recorded it, then the ticket is only held until expiry, then returned', async () => {
    await putSale(inventory, 'w2', { totalStock: 3 }, { status: 201 });
    await inventory.gate.reserve('w2', 'never-recorded', 'u1', 1, 300);

    expect(await saleCounts(inventory, 'w2', { ledger: 'conserved' })).toMatchObject({
      available: 2,
      held: 1,
      ledger: { available: 3, held: 0 },
    });
    await eventually(async () => (await expiry.sweep(), gateEqualsLedger('w2')), {
      timeoutMs: 5000,
      what: 'orphan hold returned',
    });
    expect(await saleCounts(inventory, 'w2', { ledger: 'conserved' })).toMatchObject({
      available: 3,
      held: 0,
    });
  });

  it('given a crash after Postgres recorded a release and before Redis applied it, then a retry or the sweep applies it once', async () => {
    await putSale(inventory, 'w3', { totalStock: 3 }, { status: 201 });
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'w3-a', eventId: 'w3', userId: 'u1', quantity: 1 })
      .expect(201);
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'w3-b', eventId: 'w3', userId: 'u2', quantity: 1 })
      .expect(201);
    // The ledger's half of a release, as inventory writes it: the reservations and the sale's counters.
    await inventory.db.query(
      `WITH moved AS (UPDATE reservations SET status = 'RELEASED' WHERE order_id IN ('w3-a', 'w3-b') RETURNING quantity)
       UPDATE sales SET held = held - (SELECT sum(quantity) FROM moved) WHERE event_id = 'w3'`,
    );

    expect(await saleCounts(inventory, 'w3', { ledger: 'conserved' })).toMatchObject({
      available: 1,
      held: 2,
      ledger: { available: 3, held: 0 },
    });
    await inventory.http().post('/reservations/w3-a/release').set(AS_ORDER_SERVICE).expect(200);
    await eventually(async () => (await expiry.sweep(), gateEqualsLedger('w3')), {
      timeoutMs: 5000,
      what: 'release applied',
    });
    expect(await saleCounts(inventory, 'w3', { ledger: 'conserved' })).toMatchObject({
      available: 3,
      held: 0,
      sold: 0,
    });
  });

  it('given a crash after Postgres recorded a commit and before Redis applied it, then a retry or the sweep applies it once', async () => {
    await putSale(inventory, 'w4', { totalStock: 3 }, { status: 201 });
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'w4-a', eventId: 'w4', userId: 'u1', quantity: 1 })
      .expect(201);
    await inventory
      .http()
      .post('/reservations')
      .set(AS_ORDER_SERVICE)
      .send({ orderId: 'w4-b', eventId: 'w4', userId: 'u2', quantity: 1 })
      .expect(201);
    // The ledger's half of a commit, as inventory writes it: the reservations and the sale's counters.
    await inventory.db.query(
      `WITH moved AS (UPDATE reservations SET status = 'COMMITTED' WHERE order_id IN ('w4-a', 'w4-b') RETURNING quantity)
       UPDATE sales SET held = held - (SELECT sum(quantity) FROM moved), sold = sold + (SELECT sum(quantity) FROM moved)
       WHERE event_id = 'w4'`,
    );

    expect(await saleCounts(inventory, 'w4', { ledger: 'conserved' })).toMatchObject({
      available: 1,
      held: 2,
      sold: 0,
      ledger: { available: 1, held: 0, sold: 2 },
    });
    await inventory.http().post('/reservations/w4-a/commit').set(AS_ORDER_SERVICE).expect(200);
    await eventually(async () => (await expiry.sweep(), gateEqualsLedger('w4')), {
      timeoutMs: 5000,
      what: 'commit applied',
    });
    expect(await saleCounts(inventory, 'w4', { ledger: 'conserved' })).toMatchObject({
      available: 1,
      held: 0,
      sold: 2,
    });
  });
});
