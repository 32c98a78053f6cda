import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { AS_ORDER_SERVICE } from '@boxoffice/testing/test-tokens';
import { InventoryTestApp, startInventory } from '../inventory.test-app';
import { HoldExpiry } from './hold-expiry';

describe('Hold expiry (e2e, real Postgres and Redis)', () => {
  describe('with the sweep on a 100 ms timer', () => {
    let inventory: InventoryTestApp;
    beforeAll(async () => {
      inventory = await startInventory('expiry_timer', {
        HOLD_TTL_SECONDS: '1',
        HOLD_SWEEP_INTERVAL_MS: '100',
      });
      await putSale(inventory, 'festival', { totalStock: 10 }, { status: 201 });
    });
    afterAll(() => inventory.close());

    it('given a hold nobody commits, when it expires, then the service itself returns its stock exactly once', async () => {
      await inventory
        .http()
        .post('/reservations')
        .set(AS_ORDER_SERVICE)
        .send({ orderId: 'late', eventId: 'festival', userId: 'u1', quantity: 3 })
        .expect(201);
      expect(await saleCounts(inventory, 'festival', { ledger: 'conserved' })).toMatchObject({
        available: 7,
        held: 3,
      });

      await eventually(
        async () => (await saleCounts(inventory, 'festival', { ledger: 'conserved' })).available === 10,
        {
          timeoutMs: 5000,
          what: 'expired hold released',
        },
      );

      await inventory.app.get(HoldExpiry).sweep();
      await inventory.http().post('/reservations/late/release').set(AS_ORDER_SERVICE).expect(200);
      expect(await saleCounts(inventory, 'festival', { ledger: 'conserved' })).toMatchObject({
        available: 10,
        held: 0,
        ledger: { available: 10, held: 0, sold: 0 },
      });
      const [row] = await inventory.db.query(
        `SELECT status, version FROM reservations WHERE order_id = 'late'`,
      );
      expect(row).toEqual({ status: 'RELEASED', version: 2 });
    });
  });

  describe('with the sweep run by hand', () => {
    let inventory: InventoryTestApp;
    let expiry: HoldExpiry;
    beforeAll(async () => {
      inventory = await startInventory('expiry_manual', {
        HOLD_TTL_SECONDS: '1',
        HOLD_SWEEP_INTERVAL_MS: '600000',
      });
      expiry = inventory.app.get(HoldExpiry);
      await putSale(inventory, 'derby', { totalStock: 4 }, { status: 201 });
    });
    afterAll(() => inventory.close());

    it('given an expired hold not yet swept, when it is committed, then 409 HOLD_EXPIRED and the hold is released by that commit, once', async () => {
      const { body } = await inventory
        .http()
        .post('/reservations')
        .set(AS_ORDER_SERVICE)
        .send({ orderId: 'slow-payer', eventId: 'derby', userId: 'u1', quantity: 2 })
        .expect(201);
      await eventually(() => Date.now() > Date.parse(body.expiresAt) + 50, { what: 'hold expired' });

      const refused = await inventory
        .http()
        .post('/reservations/slow-payer/commit')
        .set(AS_ORDER_SERVICE)
        .expect(409);
      expect(refused.body.code).toBe('HOLD_EXPIRED');

      // the answer is final: the stock is back in the ledger and the gate before the sweep runs
      expect(await saleCounts(inventory, 'derby', { ledger: 'conserved' })).toMatchObject({
        available: 4,
        held: 0,
        sold: 0,
        ledger: { available: 4 },
      });
      expect(await expiry.sweep()).toBe(0);
      const release = await inventory
        .http()
        .post('/reservations/slow-payer/release')
        .set(AS_ORDER_SERVICE)
        .expect(200);
      expect(release.body.status).toBe('RELEASED');
      expect(
        (await inventory.http().post('/reservations/slow-payer/commit').set(AS_ORDER_SERVICE).expect(409))
          .body.code,
      ).toBe('RESERVATION_RELEASED');
    });

    it('given a commit begun before expiry waiting on the sale row, when a second commit comes after expiry, then both answer COMMITTED', async () => {
      // given: a hold, its sale row locked (as a hot sale's is), and a first commit waiting on it before expiry
      await inventory
        .http()
        .post('/reservations')
        .set(AS_ORDER_SERVICE)
        .send({ orderId: 'photo-finish', eventId: 'derby', userId: 'u2', quantity: 1 })
        .expect(201);
      await inventory.db.query(
        `UPDATE reservations SET expires_at = now() + interval '2 seconds' WHERE order_id = 'photo-finish'`,
      );
      const holder = inventory.db.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      const [{ pid }] = await holder.query(
        `SELECT pg_backend_pid() AS pid FROM sales WHERE event_id = 'derby' FOR UPDATE`,
      );
      const waiting = async () => {
        const [{ count }] = await inventory.db.query(
          `WITH first AS (SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))
           SELECT count(*)::int AS count FROM (
             SELECT pid FROM first
             UNION SELECT pid FROM pg_stat_activity WHERE pg_blocking_pids(pid) && ARRAY(SELECT pid FROM first)
           ) waiters`,
          [pid],
        );
        return count as number;
      };
      const commit = () => {
        const settled = { done: false };
        const answer = inventory
          .http()
          .post('/reservations/photo-finish/commit')
          .set(AS_ORDER_SERVICE)
          .then((response) => {
            settled.done = true;
            return response;
          });
        return { answer, settled };
      };
      try {
        const first = commit();
        await eventually(async () => (await waiting()) === 1, { what: 'first commit waits on the sale' });
        await eventually(
          async () =>
            (
              await inventory.db.query(
                `SELECT now() > expires_at AS over FROM reservations WHERE order_id = 'photo-finish'`,
              )
            )[0].over as boolean,
          { what: 'hold expired' },
        );

        // when: a second commit after expiry, then the sale row is let go
        const second = commit();
        await eventually(async () => second.settled.done || (await waiting()) === 2, {
          what: 'second commit answered or waiting',
        });
        await holder.rollbackTransaction();

        // then: one decision, told to both
        const answers = await Promise.all([first.answer, second.answer]);
        expect(answers.map(({ status, body }) => [status, body.status ?? body.code])).toEqual([
          [200, 'COMMITTED'],
          [200, 'COMMITTED'],
        ]);
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
      }
      expect(await saleCounts(inventory, 'derby', { ledger: 'conserved' })).toMatchObject({
        sold: 1,
        held: 0,
      });
    });
  });

  describe('over many sales, most of them ended', () => {
    let inventory: InventoryTestApp;
    let expiry: HoldExpiry;
    beforeAll(async () => {
      inventory = await startInventory('expiry_ended', { HOLD_SWEEP_INTERVAL_MS: '600000' });
      expiry = inventory.app.get(HoldExpiry);
    });
    afterAll(() => inventory.close());

    it('given ended sales and one sale with a hold, when the sweep runs, then it reads only the sale with holds', async () => {
      // given: sales whose holds all ended (sold or released), and one with a hold open
      for (const [index, end] of (['commit', 'release', 'commit'] as const).entries()) {
        const eventId = `ended-${index}`;
        await putSale(inventory, eventId, { totalStock: 5 }, { status: 201 });
        await inventory
          .http()
          .post('/reservations')
          .set(AS_ORDER_SERVICE)
          .send({ orderId: `${eventId}-order`, eventId, userId: 'u1', quantity: 1 })
          .expect(201);
        await inventory
          .http()
          .post(`/reservations/${eventId}-order/${end}`)
          .set(AS_ORDER_SERVICE)
          .expect(200);
      }
      await putSale(inventory, 'live', { totalStock: 5 }, { status: 201 });
      await inventory
        .http()
        .post('/reservations')
        .set(AS_ORDER_SERVICE)
        .send({ orderId: 'live-order', eventId: 'live', userId: 'u1', quantity: 1 })
        .expect(201);
      // the ended sales' last holds expired long ago (as they would have, hours after the sale)
      const holding = `${inventory.corner.namespace.redisPrefix}:holding`;
      for (const index of [0, 1, 2]) await inventory.redis.zadd(holding, 1, `ended-${index}`);
      const read = jest.spyOn(inventory.gate, 'expiredHolds');

      // when
      await expiry.sweep();

      // then
      expect(read).toHaveBeenCalledTimes(1);
      expect(read.mock.calls[0][0]).toEqual(['live']);
      read.mockRestore();
    });
  });
});
