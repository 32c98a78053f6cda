import type { ReservationView } from '@boxoffice/contracts/inventory/reservation.dto';
import { claimIdempotencyKeys } from '../idempotency/idempotency-keys';
import { OrderTestApp, startOrderStack } from '../order.test-app';
import { Deadline } from '../request/deadline';
import { SOLE_CLAIM } from '../request/order-id-claim';
import { recordOrders } from './order-recording';
import type { OrderToRecord } from './order-saga-types';

describe('Orders recorded in batches (e2e: real Postgres behind a proxy)', () => {
  let stack: OrderTestApp;

  beforeAll(async () => {
    // No NOTIFY and a poll a minute apart: an outbox row is relayed at once only if this process's relay is woken.
    stack = await startOrderStack('recording', {
      proxyPostgres: true,
      order: { OUTBOX_NOTIFY: 'false', OUTBOX_POLL_INTERVAL_MS: '60000' },
    });
  });
  afterAll(() => stack?.close());

  const toRecord = (orderId: string, deadlineMs: number, key?: string): OrderToRecord => ({
    orderId,
    request: { eventId: 'rec', userId: `u-${orderId}`, quantity: 1, paymentToken: 'tok_visa' },
    hold: { orderId, quantity: 1, unitPrice: 1000, currency: 'EUR' } as ReservationView,
    claim: key ? { key, giveUp: (release) => release() } : SOLE_CLAIM,
    deadline: new Deadline(deadlineMs),
  });

  it('given a batch whose statements wait past one order nearly out of time, when recorded, then that order is recorded alone and its neighbours are not failed by its deadline', async () => {
    // given: three keyed orders, one of whose keys another transaction holds for 600 ms, and one order with 200 ms left
    const keyed = ['rec-1', 'rec-2', 'rec-3'];
    await claimIdempotencyKeys(
      stack.db.manager,
      keyed.map((orderId) => ({ key: `key-${orderId}`, requestHash: 'h'.repeat(64), resourceId: orderId })),
    );
    const blocker = stack.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM idempotency_keys WHERE key = 'key-rec-2' FOR UPDATE`);
    const released = new Promise((resolve) => setTimeout(resolve, 600)).then(async () => {
      await blocker.commitTransaction();
      await blocker.release();
    });

    // when
    const outcomes = await recordOrders(
      stack.db,
      [...keyed.map((orderId) => toRecord(orderId, 5_000, `key-${orderId}`)), toRecord('rec-near', 200)],
      30_000,
    );
    await released;

    // then
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(4).fill('fulfilled'));
    const rows = await stack.db.query(`SELECT order_id FROM orders WHERE event_id = 'rec' ORDER BY order_id`);
    expect(rows.map((row: { order_id: string }) => row.order_id)).toEqual([...keyed, 'rec-near']);
    const answered = await stack.db.query(
      `SELECT key FROM idempotency_keys WHERE key LIKE 'key-rec-%' AND response_status = 202 ORDER BY key`,
    );
    expect(answered).toHaveLength(3);
  });

  it("given OUTBOX_NOTIFY off, when the answer to a batch's COMMIT is lost though Postgres kept it, then the order is answered recorded and its order_created is relayed at once, not at the next poll", async () => {
    // given
    const cut = stack.postgresProxy!.cutAfterClientSends('rec-lost', 'COMMIT');

    // when
    const [outcome] = await recordOrders(stack.db, [toRecord('rec-lost', 5_000)], 30_000);
    await cut;

    // then
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { orderId: 'rec-lost', status: 'CREATED' } });
    await stack.broker.nextTapped('order_created', 'rec-lost', 5_000);
  });
});
