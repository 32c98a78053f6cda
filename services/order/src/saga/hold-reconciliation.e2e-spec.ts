import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { claimIdempotencyKeys } from '../idempotency/idempotency-keys';
import { InventoryClient } from '../inventory-client/inventory.client';
import { orderRows, OrderTestApp, startOrderStack } from '../order.test-app';
import { Deadline } from '../request/deadline';
import { HoldReconciliation } from './hold-reconciliation';
import { inOrdersTransaction } from './order-transaction';

/** Holds whose order was never recorded go back to stock long before their TTL (docs/contract.md §2, §3). */
describe('Hold reconciliation (e2e: order in-process, real inventory, Postgres, RabbitMQ)', () => {
  let stack: OrderTestApp;
  let reconciliation: HoldReconciliation;
  const EVENT = 'reconciled';
  const holdOf = async (orderId: string) =>
    (await stack.inventory.db.query('SELECT status FROM reservations WHERE order_id = $1', [orderId]))[0]
      ?.status;
  /** A hold taken as step 1 takes it, with no order after it (as if order died before its transaction). */
  const holdWithoutOrder = (orderId: string, userId = orderId) =>
    stack.app.get(InventoryClient).reserve({ orderId, eventId: EVENT, userId, quantity: 1 });

  beforeAll(async () => {
    // The periodic run kept out of the way: each test sweeps when it says so.
    stack = await startOrderStack('hold_reconcile', {
      order: { ORDER_HOLD_RECONCILE_INTERVAL_MS: '3600000' },
    });
    reconciliation = stack.app.get(HoldReconciliation);
    await putSale(stack.inventory, EVENT, { totalStock: 10 });
  });
  afterAll(() => stack?.close());

  it('given a hold with no order, one whose key is still claimed and an accepted order, when the reconciliation sweeps, then the two leaks are released (their ids barred, the key freed) and the order keeps its hold', async () => {
    // given
    const accepted = await stack
      .http()
      .post('/orders')
      .send({ eventId: EVENT, userId: 'buyer', quantity: 1 })
      .expect(202);
    await holdWithoutOrder('lost-1');
    await claimIdempotencyKeys(stack.db.manager, [
      { key: 'claimed-key', requestHash: 'a'.repeat(64), resourceId: 'lost-keyed' },
    ]);
    await holdWithoutOrder('lost-keyed');
    expect((await saleCounts(stack.inventory, EVENT)).held).toBe(3);

    // when
    const released = await reconciliation.sweep(0);

    // then
    expect(released).toBe(2);
    expect([await holdOf('lost-1'), await holdOf('lost-keyed'), await holdOf(accepted.body.orderId)]).toEqual(
      ['RELEASED', 'RELEASED', 'HELD'],
    );
    expect(await saleCounts(stack.inventory, EVENT)).toMatchObject({ available: 9, held: 1, sold: 0 });
    expect((await scrapeMetrics(stack)).value('boxoffice_order_holds_reconciled_total')).toBe(2);
    await expect(holdWithoutOrder('lost-1')).rejects.toMatchObject({ code: 'RESERVATION_RELEASED' });
    // The key was freed: a request with it is a new order, on a hold of its own.
    expect(await stack.db.query(`SELECT key FROM idempotency_keys WHERE key = 'claimed-key'`)).toEqual([]);
    const retried = await stack
      .http()
      .post('/orders')
      .set('Idempotency-Key', 'claimed-key')
      .send({ eventId: EVENT, userId: 'lost-keyed', quantity: 1 })
      .expect(202);
    expect(retried.body.orderId).not.toBe('lost-keyed');
    expect(await reconciliation.sweep(0)).toBe(0);
  });

  it("given a hold whose order's transaction is still running, when the reconciliation sweeps, then it waits for that transaction and leaves the hold of the order it committed", async () => {
    // given
    await holdWithoutOrder('late-order');
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    const transaction = inOrdersTransaction(stack.db, ['late-order'], new Deadline(30_000), async (tx) => {
      await tx.query(
        `INSERT INTO orders (order_id, event_id, user_id, quantity, amount, currency, payment_token, status, step)
         VALUES ('late-order', $1, 'late-order', 1, 4200, 'EUR', 'tok_visa', 'CREATED', 'PAYMENT')`,
        [EVENT],
      );
      await committing;
    });

    // when
    const sweeping = reconciliation.sweep(0);
    await eventually(
      async () =>
        (
          await stack.db.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
               AND objid::bigint = hashtext('late-order')::bigint & 4294967295`,
          )
        ).length > 0,
      { what: "the sweep waiting on the order's lock" },
    );
    commit();
    await transaction;

    // then
    expect(await sweeping).toBe(0);
    expect(await holdOf('late-order')).toBe('HELD');
    expect(await orderRows(stack, { orderId: 'late-order' })).toEqual([
      expect.objectContaining({ status: 'CREATED' }),
    ]);
  });

  it("given order's clock 10 minutes ahead of inventory's, when the reconciliation sweeps for holds older than a minute, then a hold just taken (its order maybe still being recorded) is left HELD: inventory judges the age", async () => {
    // given
    await holdWithoutOrder('skewed-1');
    const now = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => now() + 600_000);

    // when
    const released = await reconciliation.sweep(60).finally(() => jest.restoreAllMocks());

    // then
    expect(released).toBe(0);
    expect(await holdOf('skewed-1')).toBe('HELD');
  });
});
