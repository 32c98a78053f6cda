import { randomUUID } from 'node:crypto';
import { parsePaymentResult } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { DEAD_LETTER_REASON_HEADER, ERROR_HEADER } from '@boxoffice/messaging/message-headers';
import { deadLetterQueueOf, retryQueueOf } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import type { TakenMessage } from '@boxoffice/testing/test-broker';
import { mostAtOnce } from '@boxoffice/testing/timed-spy';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { orderCreated, PAYMENT_QUEUES, PaymentTestApp, startPayment } from '../payment.test-app';
import { PaymentsService } from './payments.service';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };

describe('Payments: order_created → charge → payment_result (e2e, real Postgres and RabbitMQ)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    // A gateway slow enough that copies delivered together are all in the handler before the first one records.
    payment = await startPayment('payments', { GATEWAY_LATENCY_MS: '30' });
  });
  afterAll(() => payment?.close());

  /** Waits until the tap has received `count` payment_result messages for the order, and returns them. */
  const resultsOf = (orderId: string, count = 1): Promise<TakenMessage[]> =>
    eventually(
      async () => {
        const results = await payment.results(orderId);
        return results.length >= count && results;
      },
      { ...SETTLED, what: `${count} payment_result for ${orderId}` },
    );

  const paymentRows = async (orderId: string): Promise<number> => {
    const [{ count }] = await payment.db.query(
      'SELECT count(*)::int AS count FROM payments WHERE order_id = $1',
      [orderId],
    );
    return count;
  };

  const pendingOutbox = async (): Promise<number> => {
    const [{ count }] = await payment.db.query(
      'SELECT count(*)::int AS count FROM outbox WHERE sent_at IS NULL',
    );
    return count;
  };

  it('given a new order, when it is charged, then payment sends Postgres 9 statements on its hot path (claim 4, record 5)', async () => {
    // given: every statement payment's own code sends (not the processor's, nor the relay's)
    const statements: string[] = [];
    const real = PostgresQueryRunner.prototype.query;
    const counting = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (
      this: PostgresQueryRunner,
      ...args: Parameters<typeof real>
    ) {
      const stack = new Error().stack ?? '';
      if (!/SimulatedGateway|OutboxRelay|outageNow/.test(stack)) statements.push(args[0].slice(0, 40));
      return real.apply(this, args);
    });

    // when
    try {
      await payment.app.get(PaymentsService).chargeOrder(orderCreated({ paymentToken: 'tok_visa' }));
    } finally {
      counting.mockRestore();
    }

    // then
    expect(statements).toHaveLength(9);
  });

  it('given order_created with tok_visa, when it is consumed, then the payment SUCCEEDED, the gateway charged once and payment_result succeeded is published with the contract §5 properties (docs/contract.md)', async () => {
    // given
    const order = orderCreated({ paymentToken: 'tok_visa', amount: 12_500, currency: 'EUR' });
    const orderMessageId = randomUUID();

    // when
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: orderMessageId });

    // then
    const [result] = await resultsOf(order.orderId);
    const { body: view } = await payment.http().get(`/payments/${order.orderId}`).expect(200);
    expect(view).toEqual({
      paymentId: expect.any(String),
      orderId: order.orderId,
      status: 'SUCCEEDED',
      amount: 12_500,
      currency: 'EUR',
    });
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      { kind: 'charge', succeeded: true, reference: expect.any(String), reason: null, amount: 12_500 },
    ]);
    expect(result.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: expect.stringMatching(/.+/),
      correlationId: order.orderId,
      type: ROUTING_KEYS.paymentResult,
    });
    expect(result.properties.messageId).not.toBe(orderMessageId);
    const published = parsePaymentResult(result.payload);
    expect(published).toMatchObject({
      orderId: order.orderId,
      paymentId: view.paymentId,
      status: 'succeeded',
    });
    expect(published.reason).toBeUndefined();
    expect(Math.abs(Date.parse(published.processedAt) - Date.now())).toBeLessThan(60_000);
    expect(result.payload).toEqual({
      version: 1,
      orderId: order.orderId,
      paymentId: view.paymentId,
      status: 'succeeded',
      processedAt: published.processedAt,
    });
  });

  it('given no payment for an order, when it is read, then 404 PAYMENT_NOT_FOUND; a malformed orderId is 400 VALIDATION_FAILED', async () => {
    const unknown = await payment.http().get(`/payments/${randomUUID()}`).expect(404);
    expect(unknown.body).toMatchObject({ code: 'PAYMENT_NOT_FOUND', message: expect.any(String) });

    const malformed = await payment.http().get('/payments/bad%20id!').expect(400);
    expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const tooLong = await payment
      .http()
      .get(`/payments/${'x'.repeat(65)}`)
      .expect(400);
    expect(tooLong.body.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
  ])(
    'given order_created with %s, when it is consumed, then the payment FAILED with reason %s and payment_result failed says so',
    async (paymentToken, reason) => {
      // given
      const order = orderCreated({ paymentToken });

      // when
      await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });

      // then
      const [result] = await resultsOf(order.orderId);
      const { body: view } = await payment.http().get(`/payments/${order.orderId}`).expect(200);
      expect(view).toEqual({
        paymentId: expect.any(String),
        orderId: order.orderId,
        status: 'FAILED',
        amount: order.amount,
        currency: order.currency,
        reason,
      });
      expect(parsePaymentResult(result.payload)).toMatchObject({
        orderId: order.orderId,
        paymentId: view.paymentId,
        status: 'failed',
        reason,
      });
      expect(result.properties).toMatchObject({
        deliveryMode: 2,
        correlationId: order.orderId,
        type: ROUTING_KEYS.paymentResult,
      });
      const calls = await payment.gatewayCalls(order.orderId);
      expect(calls).toEqual([expect.objectContaining({ kind: 'charge', succeeded: false, reason })]);
    },
  );

  it('given a decided payment, when the same order_created comes again (same messageId, then another), then nothing is charged again and the original payment_result is re-published unchanged', async () => {
    // given
    const order = orderCreated();
    const messageId = randomUUID();
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId });
    const [original] = await resultsOf(order.orderId, 1);
    const { paymentId } = parsePaymentResult(original.payload);

    // when the broker delivers the very same message again
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId });
    // then
    await resultsOf(order.orderId, 2);

    // when the order service publishes it again under a new messageId
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    // then
    const results = await resultsOf(order.orderId, 3);

    const runs = payment.runs(ROUTING_KEYS.orderCreated, order.orderId);
    expect(runs).toHaveLength(3);
    expect(runs.filter((run) => run.error)).toEqual([]);
    expect(results.map((result) => result.properties.messageId)).toEqual(
      Array(3).fill(original.properties.messageId),
    );
    expect(results.map((result) => result.payload)).toEqual(Array(3).fill(original.payload));
    expect(await paymentRows(order.orderId)).toBe(1);
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: true }),
    ]);
    const { body: view } = await payment.http().get(`/payments/${order.orderId}`).expect(200);
    expect(view).toMatchObject({ paymentId, status: 'SUCCEEDED' });
  });

  it('given several copies of one order_created delivered at once, when they are handled concurrently, then one payment, one charge, and every payment_result published is the same message', async () => {
    // given three copies of one message and three re-publications under other messageIds
    const order = orderCreated();
    const messageId = randomUUID();
    const messageIds = [messageId, messageId, messageId, randomUUID(), randomUUID(), randomUUID()];

    // when
    await Promise.all(
      messageIds.map((id) => payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: id })),
    );

    // then every copy was handled, without an error (so none is retried or dead-lettered)
    const runs = await eventually(
      () =>
        payment.runs(ROUTING_KEYS.orderCreated, order.orderId).length === messageIds.length &&
        payment.runs(ROUTING_KEYS.orderCreated, order.orderId),
      { ...SETTLED, what: 'every copy handled' },
    );
    expect(runs.filter((run) => run.error)).toEqual([]);
    expect(mostAtOnce(runs)).toBeGreaterThan(1); // the premise: copies were in the handler at the same time
    expect(await paymentRows(order.orderId)).toBe(1);
    expect(await payment.gatewayCalls(order.orderId)).toEqual([
      expect.objectContaining({ kind: 'charge', succeeded: true }),
    ]);
    await resultsOf(order.orderId, 1);
    await eventually(async () => (await pendingOutbox()) === 0, { ...SETTLED, what: 'outbox relayed' });
    const [{ result_message_id: resultMessageId, payment_id: paymentId }] = await payment.db.query(
      'SELECT result_message_id, payment_id FROM payments WHERE order_id = $1',
      [order.orderId],
    );
    const results = await payment.results(order.orderId);
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results.length).toBeLessThanOrEqual(messageIds.length);
    expect(new Set(results.map((result) => result.properties.messageId))).toEqual(new Set([resultMessageId]));
    expect(new Set(results.map((result) => parsePaymentResult(result.payload).paymentId))).toEqual(
      new Set([paymentId]),
    );
    expect(await payment.broker.depth(PAYMENT_QUEUES.orderCreated)).toBe(0);
    expect(await payment.broker.depth(retryQueueOf(PAYMENT_QUEUES.orderCreated))).toBe(0);
  });

  it('given malformed order_created messages (not JSON; amount "ten"), when they arrive, then they go to payment.order_created.dlq uncharged and the next good message is still handled', async () => {
    // given
    const notJsonId = randomUUID();
    const invalidId = randomUUID();
    const invalid = { ...orderCreated(), amount: 'ten' };
    const notJson = '{"orderId": "poison-1", ';
    await payment.broker.publishRaw(ROUTING_KEYS.orderCreated, notJson, {
      messageId: notJsonId,
      correlationId: 'poison-1',
    });
    await payment.broker.publish(ROUTING_KEYS.orderCreated, invalid, { messageId: invalidId });

    // when a good message follows
    const good = orderCreated();
    await payment.broker.publish(ROUTING_KEYS.orderCreated, good, { messageId: randomUUID() });

    // then
    await resultsOf(good.orderId);
    const { body: goodView } = await payment.http().get(`/payments/${good.orderId}`).expect(200);
    expect(goodView.status).toBe('SUCCEEDED');
    const dead = await eventually(
      async () => {
        const messages = (await payment.broker.take(deadLetterQueueOf(PAYMENT_QUEUES.orderCreated))).filter(
          (message) => [notJsonId, invalidId].includes(message.properties.messageId),
        );
        return messages.length === 2 && messages;
      },
      { ...SETTLED, what: 'both dead-lettered' },
    );
    const deadOne = (id: string) => dead.find((message) => message.properties.messageId === id)!;
    expect(deadOne(notJsonId).properties.headers).toMatchObject({
      [DEAD_LETTER_REASON_HEADER]: 'malformed-json',
    });
    expect(deadOne(notJsonId).content.toString('utf8')).toBe(notJson);
    expect(deadOne(invalidId).properties.headers).toMatchObject({
      [DEAD_LETTER_REASON_HEADER]: 'invalid-payload',
      [ERROR_HEADER]: expect.stringContaining('amount'),
    });
    expect(deadOne(invalidId).payload).toEqual(invalid);
    expect(payment.runs(ROUTING_KEYS.orderCreated, invalid.orderId)).toEqual([]);
    expect(await payment.gatewayCalls(invalid.orderId)).toEqual([]);
    expect(await payment.results(invalid.orderId)).toEqual([]);
    await payment.http().get(`/payments/${invalid.orderId}`).expect(404);
    expect(await payment.broker.depth(PAYMENT_QUEUES.orderCreated)).toBe(0);
    expect(await payment.broker.depth(retryQueueOf(PAYMENT_QUEUES.orderCreated))).toBe(0);
  });
});
