import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { eventually } from '@boxoffice/testing/eventually';
import type { TestBroker } from '@boxoffice/testing/test-broker';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { orderCreated, PAYMENT_QUEUES } from '../payment.test-app';

const SHUTDOWN_TIMEOUT_MS = 2_000;

describe('Payment stopped by SIGTERM while a charge is in flight (e2e: payment as a real process, RabbitMQ, Postgres)', () => {
  let corner: TestCorner;
  let broker: TestBroker;

  beforeAll(async () => {
    corner = await openTestCorner('payment_stop', { vhost: true });
    broker = await corner.openBroker({ appId: 'order', tap: [ROUTING_KEYS.paymentResult] });
  });
  afterAll(() => corner?.dispose());

  const startPayment = (gatewayLatencyMs: number) =>
    corner.startProcess('payment', {
      GATEWAY_LATENCY_MS: String(gatewayLatencyMs),
      GATEWAY_TIMEOUT_MS: '30000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
  /** Payment takes an order_created (nothing left ready in its queue) and gets SIGTERM while it charges. */
  const stopMidCharge = async (gatewayLatencyMs: number) => {
    const payment = await startPayment(gatewayLatencyMs);
    const order = orderCreated();
    await broker.publish(ROUTING_KEYS.orderCreated, order);
    await eventually(async () => (await broker.depth(PAYMENT_QUEUES.orderCreated)) === 0, {
      what: 'order_created delivered to payment',
    });
    const signalledAt = Date.now();
    await payment.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 10_000);
    return { payment, order, tookMs: Date.now() - signalledAt };
  };
  const charges = async (orderId: string) =>
    corner
      .db('payment')
      .query(
        `SELECT succeeded FROM gateway_calls WHERE kind = 'charge' AND strpos(idempotency_key, $1) > 0`,
        [orderId],
      );

  it('given a charge that ends within SHUTDOWN_TIMEOUT_MS, when SIGTERM comes, then the charge finishes, its message is acked, and the process exits 0', async () => {
    // given a charge of 800 ms, when SIGTERM comes in the middle of it
    const { payment, order, tookMs } = await stopMidCharge(800);

    // then
    expect(payment.exit()).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(await broker.depth(PAYMENT_QUEUES.orderCreated)).toBe(0);
    expect(await charges(order.orderId)).toEqual([{ succeeded: true }]);
    // its payment_result, in the outbox, goes out once payment runs again (the relay may have stopped before it)
    const again = await startPayment(5);
    await broker.nextTapped(ROUTING_KEYS.paymentResult, order.orderId, 20_000);
    await again.stop();
  });

  it('given a charge slower than SHUTDOWN_TIMEOUT_MS, when SIGTERM comes, then the process exits 1 at the deadline naming the handler still running, and the message is redelivered and charged once', async () => {
    // given a charge of 8 s, when SIGTERM comes in the middle of it
    const { payment, order, tookMs } = await stopMidCharge(8_000);

    // then
    expect(payment.exit()).toEqual({ code: 1, signal: null });
    expect(tookMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
    expect(payment.output()).toMatch(/still open: message handlers in flight/);
    await eventually(async () => (await broker.depth(PAYMENT_QUEUES.orderCreated)) === 1, {
      what: 'order_created back in its queue',
    });
    const again = await startPayment(5);
    const result = await broker.nextTapped(ROUTING_KEYS.paymentResult, order.orderId, 20_000);
    expect(result.payload).toMatchObject({ orderId: order.orderId, status: 'succeeded' });
    expect(await charges(order.orderId)).toEqual([{ succeeded: true }]);
    await again.stop();
  });
});
