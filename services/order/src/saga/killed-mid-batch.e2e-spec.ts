import { eventually } from '@boxoffice/testing/eventually';
import { logLinesIn } from '@boxoffice/testing/log-lines';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';

/**
 * The crash: order SIGKILLed between inventory's answer to a reserve batch and the COMMIT of that batch's
 * orders transaction. No 202 was given, and the holds go back to stock through the hold reconciliation of the order
 * that starts next, not at their TTL (docs/contract.md §3, _The reservation_).
 */
describe('Order killed between the holds and their orders (e2e: order and inventory as processes)', () => {
  let corner: TestCorner;
  let inventory: ServiceProcess;

  beforeAll(async () => {
    corner = await openTestCorner('killed_mid_batch', { vhost: true });
    inventory = await corner.startProcess('inventory', { HOLD_TTL_SECONDS: '600' });
    await putSale(inventory, 'crashed', { totalStock: 2 });
  });
  afterAll(() => corner?.dispose());

  it("given order's Postgres stalled at the orders transaction after inventory held the tickets, when order is SIGKILLed and started again, then no 202 was given and the holds are released, the tickets on sale again, with no order", async () => {
    // given: order reaches Postgres through a proxy that holds back the batch's INSERT (its locks taken, no COMMIT)
    const postgres = await corner.openProxy(corner.env('order').DATABASE_URL);
    const doomed = await corner.startProcess('order', {
      INVENTORY_URL: inventory.url,
      DATABASE_URL: postgres.url(corner.env('order').DATABASE_URL),
    });
    const stalled = postgres.stallWhenClientSends('INSERT INTO orders');
    const answer = doomed
      .http()
      .post('/orders')
      .send({ eventId: 'crashed', userId: 'doomed', quantity: 2 })
      .then(
        (response) => `answered ${response.status}`,
        (error: Error) => `no answer: ${error.message}`,
      );
    await stalled;
    const holds = () =>
      corner.db('inventory').query(`SELECT order_id, status FROM reservations WHERE user_id = 'doomed'`);
    const [hold] = await holds();
    expect(hold.status).toBe('HELD');

    // when
    await doomed.kill();
    const restarted = await corner.startProcess('order', {
      INVENTORY_URL: inventory.url,
      ORDER_REQUEST_DEADLINE_MS: '500',
      ORDER_HOLD_RECONCILE_AFTER_SECONDS: '6',
      ORDER_HOLD_RECONCILE_INTERVAL_MS: '500',
    });

    // then
    expect(await answer).toMatch(/^no answer/);
    await eventually(async () => (await holds())[0].status === 'RELEASED', {
      timeoutMs: 30_000,
      what: 'the hold released by the reconciliation',
    });
    expect(await saleCounts(inventory, 'crashed')).toMatchObject({ available: 2, held: 0, sold: 0 });
    expect(await corner.db('order').query('SELECT order_id FROM orders')).toEqual([]);
    await eventually(
      () =>
        logLinesIn(restarted.output()).find(
          (line) => line.level === 'warn' && line.msg.includes(`released hold ${hold.order_id}`),
        ),
      { what: 'the warn line of the leak found' },
    );
    // On sale again: a buyer now gets the two tickets.
    await restarted
      .http()
      .post('/orders')
      .send({ eventId: 'crashed', userId: 'next', quantity: 2 })
      .expect(202);
  });
});
