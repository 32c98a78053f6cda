import { randomUUID } from 'node:crypto';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { parsePaymentCancelled } from '@boxoffice/contracts/payment/payment-cancelled.message';
import type { PaymentView } from '@boxoffice/contracts/payment/payment.dto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { deadLetterQueueOf, retryQueueOf } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import type { TakenMessage } from '@boxoffice/testing/test-broker';
import { PaymentGateway } from '../gateway/payment-gateway';
import {
  cancellationUnanswered,
  claimLeft,
  orderCancelled,
  orderCreated,
  PAYMENT_QUEUES,
  PaymentTestApp,
  startPayment,
} from '../payment.test-app';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };

/** Waits until `count` messages are tapped by `tapped` for the order, and returns them. */
const tappedOf = (tapped: () => Promise<TakenMessage[]>, what: string, count = 1): Promise<TakenMessage[]> =>
  eventually(
    async () => {
      const messages = await tapped();
      return messages.length >= count && messages;
    },
    { ...SETTLED, what },
  );

const answersOf = (payment: PaymentTestApp, orderId: string, count = 1): Promise<TakenMessage[]> =>
  tappedOf(() => payment.cancellations(orderId), `${count} payment_cancelled for ${orderId}`, count);

const resultsOf = (payment: PaymentTestApp, orderId: string, count = 1): Promise<TakenMessage[]> =>
  tappedOf(() => payment.results(orderId), `${count} payment_result for ${orderId}`, count);

const statusOf = async (payment: PaymentTestApp, orderId: string): Promise<PaymentView> =>
  (await payment.http().get(`/payments/${orderId}`).expect(200)).body;

describe('Cancellations: every order_cancelled answered with payment_cancelled (e2e, real Postgres and RabbitMQ)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    // MESSAGE_MAX_ATTEMPTS=2: a refused refund is parked after two attempts.
    payment = await startPayment('cancellations', { GATEWAY_LATENCY_MS: '20', MESSAGE_MAX_ATTEMPTS: '2' });
  });
  afterAll(() => payment?.close());

  async function decidedPayment(paymentToken: string): Promise<OrderCreatedMessage> {
    const order = orderCreated({ paymentToken, amount: 5_500 });
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await resultsOf(payment, order.orderId);
    return order;
  }

  it('given order_cancelled before order_created, when both arrive, then payment_cancelled not_charged, the order is never charged (payment_result failed order_cancelled), and a repeated order_cancelled gets the same answer', async () => {
    // given
    const order = orderCreated({ paymentToken: 'tok_visa', amount: 3_300 });
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_TIMEOUT'),
      {
        messageId: randomUUID(),
      },
    );
    const [first] = await answersOf(payment, order.orderId);
    expect(parsePaymentCancelled(first.payload)).toMatchObject({
      orderId: order.orderId,
      outcome: 'not_charged',
    });

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });

    // then
    const [result] = await resultsOf(payment, order.orderId);
    expect(result.payload).toMatchObject({ status: 'failed', reason: 'order_cancelled' });
    expect(await payment.gatewayCalls(order.orderId)).toEqual([]);
    expect(await statusOf(payment, order.orderId)).toMatchObject({
      status: 'FAILED',
      reason: 'order_cancelled',
    });

    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), {
      messageId: randomUUID(),
    });
    const [, again] = await answersOf(payment, order.orderId, 2);
    expect(again.properties.messageId).toBe(first.properties.messageId);
    expect(again.payload).toEqual(first.payload);
    expect(await payment.gatewayCalls(order.orderId)).toEqual([]);
  });

  it('given a SUCCEEDED charge, when order_cancelled arrives, then it is refunded and answered refunded; a repeated order_cancelled gets the same answer and no second refund', async () => {
    // given
    const order = await decidedPayment('tok_visa');
    expect((await statusOf(payment, order.orderId)).status).toBe('SUCCEEDED');

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), {
      messageId: randomUUID(),
    });

    // then
    const [first] = await answersOf(payment, order.orderId);
    expect(parsePaymentCancelled(first.payload)).toMatchObject({
      orderId: order.orderId,
      outcome: 'refunded',
    });
    expect(first.properties).toMatchObject({
      correlationId: order.orderId,
      type: ROUTING_KEYS.paymentCancelled,
      appId: 'payment',
    });
    expect((await statusOf(payment, order.orderId)).status).toBe('REFUNDED');

    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(order.orderId), {
      messageId: randomUUID(),
    });
    const [, again] = await answersOf(payment, order.orderId, 2);
    expect(again.properties.messageId).toBe(first.properties.messageId);
    expect(again.payload).toEqual(first.payload);
    expect(
      (await payment.gatewayCalls(order.orderId)).map(({ kind, succeeded }) => [kind, succeeded]),
    ).toEqual([
      ['charge', true],
      ['refund', true],
    ]);
  });

  it('given a charge whose refund the processor refuses, when order_cancelled arrives, then the refusals are counted, the message is parked after MESSAGE_MAX_ATTEMPTS, and the order_cancelled the saga sends again is refunded once the processor accepts', async () => {
    // given
    const order = await decidedPayment('tok_refundRefused');
    expect((await statusOf(payment, order.orderId)).status).toBe('SUCCEEDED');
    const cancelled = orderCancelled(order.orderId);
    const messageId = randomUUID();

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, cancelled, { messageId });

    // then: a refusal is no outage: parked (attempts-exhausted) and alerted, never retried in silence
    const [parked] = await tappedOf(
      () => payment.broker.take(deadLetterQueueOf(PAYMENT_QUEUES.orderCancelled), order.orderId),
      'the refused refund parked',
    );
    expect(parked.properties.headers?.['x-dead-letter-reason']).toBe('attempts-exhausted');
    const metrics = await scrapeMetrics(payment);
    expect(
      metrics.value('boxoffice_payment_refunds_refused_total', { reason: 'refund_refused' }),
    ).toBeGreaterThanOrEqual(2);
    expect(metrics.value('boxoffice_payment_cancellations_unsettled')).toBeGreaterThanOrEqual(1);
    expect(await payment.cancellations(order.orderId)).toEqual([]);
    expect((await statusOf(payment, order.orderId)).status).toBe('SUCCEEDED');

    // when the processor accepts refunds of that charge again, and the order's saga driver sends the same
    // order_cancelled again (docs/contract.md §2: a compensation is re-driven from the order's state)
    await payment.db.query(`UPDATE gateway_calls SET payment_token = 'tok_visa' WHERE idempotency_key = $1`, [
      `charge:${order.orderId}`,
    ]);
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, cancelled, { messageId });

    // then
    const [answer] = await answersOf(payment, order.orderId);
    expect(answer.payload).toMatchObject({ outcome: 'refunded' });
    expect((await statusOf(payment, order.orderId)).status).toBe('REFUNDED');
  });
});

describe('Cancellations racing a charge in flight (e2e, a slow processor)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    payment = await startPayment('cancel_race', { GATEWAY_LATENCY_MS: '1000' });
  });
  afterAll(() => payment?.close());

  it('given a charge in flight at the processor, when order_cancelled arrives, then exactly one outcome: charged and refunded, or not charged, and payment_cancelled says which', async () => {
    // given
    const order = orderCreated({ paymentToken: 'tok_visa', amount: 2_200 });
    const charging = jest.spyOn(payment.app.get(PaymentGateway), 'charge');
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await eventually(
      () => charging.mock.calls.some(([request]) => request.idempotencyKey === `charge:${order.orderId}`),
      { ...SETTLED, what: 'the charge at the processor' },
    );

    // when
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_TIMEOUT'),
      {
        messageId: randomUUID(),
      },
    );

    // then
    const [answer] = await answersOf(payment, order.orderId);
    const charge = await eventually(
      () => payment.runs(ROUTING_KEYS.orderCreated, order.orderId).find((run) => !run.error),
      { ...SETTLED, what: 'the charge handled' },
    );
    charging.mockRestore();
    // the premise: the cancellation was handled while the charge was in flight
    const cancelling = payment.runs(ROUTING_KEYS.orderCancelled, order.orderId);
    expect(Math.min(...cancelling.map((run) => run.startedAt))).toBeLessThan(charge.endedAt);
    const calls = await payment.gatewayCalls(order.orderId);
    const charged = calls.filter((call) => call.kind === 'charge' && call.succeeded);
    const refunded = calls.filter((call) => call.kind === 'refund' && call.succeeded);
    expect(charged.length).toBeLessThanOrEqual(1);
    expect(refunded).toHaveLength(charged.length);
    expect(answer.payload).toMatchObject({ outcome: charged.length ? 'refunded' : 'not_charged' });
    const answers = await payment.cancellations(order.orderId);
    expect(new Set(answers.map((message) => message.properties.messageId)).size).toBe(1);
  });
});

describe('Cancellations finding a claim left PENDING (e2e, the reconciliation never runs)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    payment = await startPayment('cancel_claim', {
      GATEWAY_TIMEOUT_MS: '1000',
      PAYMENT_RECONCILE_INTERVAL_MS: '3600000',
    });
  });
  afterAll(() => payment?.close());

  const chargedAtProcessor = (orderId: string): Promise<unknown> =>
    payment.app.get(PaymentGateway).charge({
      idempotencyKey: `charge:${orderId}`,
      amount: 4_400,
      currency: 'EUR',
      paymentToken: 'tok_visa',
    });

  it.each([
    { processor: 'charged', outcome: 'refunded', status: 'REFUNDED', calls: ['charge', 'refund'] },
    { processor: 'never charged', outcome: 'not_charged', status: 'FAILED', calls: [] },
  ])(
    'given a claim left PENDING by a charging copy that died, the processor having $processor, when order_cancelled arrives, then the cancellation decides the claim at once from the processor and answers $outcome',
    async ({ processor, outcome, status, calls }) => {
      // given
      const orderId = randomUUID();
      await claimLeft(payment.db, orderId, 60);
      if (processor === 'charged') await chargedAtProcessor(orderId);

      // when
      await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(orderId, 'PAYMENT_TIMEOUT'), {
        messageId: randomUUID(),
      });

      // then: answered within SETTLED, not PAYMENT_RECONCILE_AFTER_SECONDS later
      const [answer] = await answersOf(payment, orderId);
      expect(answer.payload).toMatchObject({ orderId, outcome });
      expect((await statusOf(payment, orderId)).status).toBe(status);
      expect((await payment.gatewayCalls(orderId)).map((call) => call.kind)).toEqual(calls);
      const [result] = await resultsOf(payment, orderId);
      expect(result.payload).toMatchObject({ status: processor === 'charged' ? 'succeeded' : 'failed' });
    },
  );

  it('given a cancelled order whose claim a charging copy left PENDING, when order_created is retried, then it decides the claim from the processor: charged and refunded, payment_cancelled refunded', async () => {
    // given
    const order = orderCreated({ amount: 4_400 });
    await claimLeft(payment.db, order.orderId, 60);
    await chargedAtProcessor(order.orderId);
    await cancellationUnanswered(payment.db, order.orderId);

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });

    // then
    const [answer] = await answersOf(payment, order.orderId);
    expect(answer.payload).toMatchObject({ outcome: 'refunded' });
    expect((await statusOf(payment, order.orderId)).status).toBe('REFUNDED');
    expect((await payment.gatewayCalls(order.orderId)).map((call) => call.kind)).toEqual([
      'charge',
      'refund',
    ]);
  });

  it('given a claim sent to the processor just now (a charge in flight), when order_cancelled arrives, then it is acknowledged unanswered with no retry copy, and the same order_cancelled sent again once the claim is older than GATEWAY_TIMEOUT_MS is answered', async () => {
    // given
    const orderId = randomUUID();
    await claimLeft(payment.db, orderId, 0);
    const cancelled = orderCancelled(orderId, 'PAYMENT_TIMEOUT');
    const messageId = randomUUID();

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, cancelled, { messageId });

    // then: the driver's re-send is the retry; the broker keeps no copy of its own
    const [run] = await eventually(
      () =>
        payment.runs(ROUTING_KEYS.orderCancelled, orderId).length > 0 &&
        payment.runs(ROUTING_KEYS.orderCancelled, orderId),
      {
        ...SETTLED,
        what: 'order_cancelled handled',
      },
    );
    expect(run.error).toBeUndefined();
    expect(await payment.broker.depth(retryQueueOf(PAYMENT_QUEUES.orderCancelled))).toBe(0);
    expect(await payment.cancellations(orderId)).toEqual([]);

    // when the claim is older than the gateway's timeout and the saga driver sends order_cancelled again
    await eventually(
      async () => {
        const [stale] = await payment.db.query(
          `SELECT 1 FROM payments WHERE order_id = $1 AND charging_at < now() - interval '1 second'`,
          [orderId],
        );
        return stale !== undefined;
      },
      { ...SETTLED, what: 'the claim older than GATEWAY_TIMEOUT_MS' },
    );
    await payment.broker.publish(ROUTING_KEYS.orderCancelled, cancelled, { messageId });

    // then
    const [answer] = await answersOf(payment, orderId);
    expect(answer.payload).toMatchObject({ outcome: 'not_charged' });
    expect(payment.runs(ROUTING_KEYS.orderCancelled, orderId)).toHaveLength(2);
  });
});
