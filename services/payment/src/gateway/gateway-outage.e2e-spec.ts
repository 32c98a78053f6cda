import { randomUUID } from 'node:crypto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { deadLetterQueueOf } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import {
  orderCancelled,
  orderCreated,
  PAYMENT_QUEUES,
  PaymentTestApp,
  startPayment,
} from '../payment.test-app';

const SETTLED = { timeoutMs: 20_000, intervalMs: 50 };
const OUTAGE_SECONDS = 2;

describe('Gateway outage: the processor refuses calls or loses its answers for a while (e2e)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    payment = await startPayment('gateway_outage', { GATEWAY_TIMEOUT_MS: '200', GATEWAY_LATENCY_MS: '5' });
  });
  afterAll(() => payment?.close());

  const startOutage = (errorRate: number, timeoutRate: number) =>
    payment.db.query(
      `INSERT INTO gateway_outages (error_rate, timeout_rate, ends_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [errorRate, timeoutRate, OUTAGE_SECONDS],
    );

  const statusOf = async (orderId: string): Promise<string> =>
    (await payment.http().get(`/payments/${orderId}`).expect(200)).body.status;

  afterEach(() => payment.db.query('DELETE FROM gateway_outages'));

  it('given the processor refuses every call, when an order is charged, then the charge is tried again until it is made, once, and nothing is dead-lettered', async () => {
    // given
    await startOutage(1, 0);
    const order = orderCreated({ paymentToken: 'tok_visa' });

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });

    // then
    await eventually(async () => (await payment.results(order.orderId)).length === 1, {
      ...SETTLED,
      what: 'payment_result after the outage',
    });
    const runs = payment.runs(ROUTING_KEYS.orderCreated, order.orderId);
    expect(runs.filter((run) => run.error).length).toBeGreaterThan(0); // the premise: the outage refused calls
    expect(await statusOf(order.orderId)).toBe('SUCCEEDED');
    expect((await payment.gatewayCalls(order.orderId)).map((call) => call.kind)).toEqual(['charge']);
    expect(await payment.broker.depth(deadLetterQueueOf(PAYMENT_QUEUES.orderCreated))).toBe(0);
  });

  it('given a charge and a processor whose answers are lost, when the order is cancelled, then the refund is asked again until answered, refunded once, and nothing is dead-lettered', async () => {
    // given
    const order = orderCreated({ paymentToken: 'tok_visa', amount: 7_700 });
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await eventually(async () => (await statusOf(order.orderId).catch(() => null)) === 'SUCCEEDED', {
      ...SETTLED,
      what: 'charged',
    });
    await startOutage(0, 1);

    // when
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_TIMEOUT'),
      {
        messageId: randomUUID(),
      },
    );

    // then
    await eventually(async () => (await statusOf(order.orderId)) === 'REFUNDED', {
      ...SETTLED,
      what: 'refunded after the outage',
    });
    const runs = payment.runs(ROUTING_KEYS.orderCancelled, order.orderId);
    expect(runs.filter((run) => run.error).length).toBeGreaterThan(0); // the premise: answers were lost
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: true, amount: 7_700 }),
      expect.objectContaining({ kind: 'refund', succeeded: true, amount: 7_700 }),
    ]);
    expect(await payment.broker.depth(deadLetterQueueOf(PAYMENT_QUEUES.orderCancelled))).toBe(0);
  });
});
