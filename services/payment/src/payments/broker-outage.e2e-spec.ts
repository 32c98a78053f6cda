import { randomUUID } from 'node:crypto';
import { parsePaymentResult } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { MessagePublisher } from '@boxoffice/messaging/message-publisher';
import { OutboxRelay } from '@boxoffice/outbox/outbox-relay';
import { eventually } from '@boxoffice/testing/eventually';
import type { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { timedSpy } from '@boxoffice/testing/timed-spy';
import { orderCreated, PaymentTestApp, startPayment } from '../payment.test-app';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };

describe('payment_result while RabbitMQ is unreachable for the publisher (e2e, TCP proxy)', () => {
  let payment: PaymentTestApp;
  let proxy: FaultProxy;
  let publisher: MessagePublisher;
  let relays: ReturnType<typeof timedSpy<OutboxRelay, 'relayBatch'>>;
  const failedRelays = () => relays.runs.filter((run) => run.error);

  beforeAll(async () => {
    // The publisher (RABBITMQ_URL) goes through the proxy; the consumers are connected straight to the broker.
    payment = await startPayment('outage', { PUBLISH_TIMEOUT_MS: '300' }, { proxyPublisher: true });
    proxy = payment.publisherProxy!;
    publisher = payment.app.get(MessagePublisher);
    relays = timedSpy(payment.app.get(OutboxRelay), 'relayBatch');
    await eventually(() => publisher.isReady(), {
      ...SETTLED,
      what: 'publisher connected through the proxy',
    });
  });
  afterAll(async () => {
    relays?.spy.mockRestore();
    await payment?.close();
  });

  const pendingOutbox = async (): Promise<number> => {
    const [{ count }] = await payment.db.query(
      'SELECT count(*)::int AS count FROM outbox WHERE sent_at IS NULL',
    );
    return count;
  };

  it('given the publisher cut off from RabbitMQ, when an order is charged, then its payment_result waits in the outbox and is published once the broker is reachable again', async () => {
    // given
    await proxy.cut();
    await eventually(() => !publisher.isReady(), { ...SETTLED, what: 'publisher disconnected' });

    // when
    const order = orderCreated();
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });

    // then the charge is recorded, the relay tried and failed, and the result is kept, not lost
    const view = await eventually(
      async () => {
        const response = await payment.http().get(`/payments/${order.orderId}`);
        return response.status === 200 && response.body;
      },
      { ...SETTLED, what: 'payment recorded' },
    );
    expect(view.status).toBe('SUCCEEDED');
    await eventually(() => failedRelays().length >= 1, { ...SETTLED, what: 'a relay attempt failed' });
    expect(await pendingOutbox()).toBe(1);
    expect(await payment.results(order.orderId)).toEqual([]);

    // when the broker is reachable again
    await proxy.restore();

    // then
    const [result] = await eventually(
      async () => {
        const results = await payment.results(order.orderId);
        return results.length >= 1 && results;
      },
      { timeoutMs: 20_000, intervalMs: 20, what: 'payment_result after the outage' },
    );
    const [{ result_message_id: resultMessageId }] = await payment.db.query(
      'SELECT result_message_id FROM payments WHERE order_id = $1',
      [order.orderId],
    );
    expect(result.properties).toMatchObject({
      deliveryMode: 2,
      messageId: resultMessageId,
      correlationId: order.orderId,
      type: ROUTING_KEYS.paymentResult,
    });
    expect(parsePaymentResult(result.payload)).toMatchObject({
      orderId: order.orderId,
      paymentId: view.paymentId,
      status: 'succeeded',
    });
    await eventually(async () => (await pendingOutbox()) === 0, { ...SETTLED, what: 'outbox marked sent' });
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: true }),
    ]);
  });
});
