import { randomUUID } from 'node:crypto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { eventually } from '@boxoffice/testing/eventually';
import { PaymentGateway } from '../gateway/payment-gateway';
import {
  cancellationUnanswered,
  claimLeft,
  orderCancelled,
  orderCreated,
  PaymentTestApp,
  startPayment,
} from '../payment.test-app';
import { ChargeReconciliation } from './charge-reconciliation';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };

describe('Charge reconciliation: a charge the processor made without a payment of ours (e2e)', () => {
  let payment: PaymentTestApp;

  beforeAll(async () => {
    payment = await startPayment('reconciliation', { PAYMENT_RECONCILE_INTERVAL_MS: '3600000' });
  });
  afterAll(() => payment?.close());

  it('given a charge whose payment was never written (its order_created dead-lettered after the charge), when reconciled, then the payment is recorded, its result sent once, and a cancellation refunds it', async () => {
    // given
    const orderId = randomUUID();
    await payment.app.get(PaymentGateway).charge({
      idempotencyKey: `charge:${orderId}`,
      amount: 6_600,
      currency: 'EUR',
      paymentToken: 'tok_visa',
    });
    await payment.http().get(`/payments/${orderId}`).expect(404);

    // when
    const found = await payment.app.get(ChargeReconciliation).sweep(0, 3_600);
    const again = await payment.app.get(ChargeReconciliation).sweep(0, 3_600);

    // then
    expect(found).toBeGreaterThanOrEqual(1);
    expect(again).toBe(0);
    const { body: view } = await payment.http().get(`/payments/${orderId}`).expect(200);
    expect(view).toMatchObject({ status: 'SUCCEEDED', amount: 6_600, currency: 'EUR' });
    const [result] = await eventually(
      async () => {
        const results = await payment.results(orderId);
        return results.length > 0 && results;
      },
      { ...SETTLED, what: 'payment_result of the reconciled charge' },
    );
    expect(result.payload).toMatchObject({ orderId, status: 'succeeded', paymentId: view.paymentId });

    await payment.broker.publish(ROUTING_KEYS.orderCancelled, orderCancelled(orderId, 'PAYMENT_TIMEOUT'), {
      messageId: randomUUID(),
    });
    await eventually(
      async () => (await payment.http().get(`/payments/${orderId}`).expect(200)).body.status === 'REFUNDED',
      { ...SETTLED, what: 'the reconciled charge refunded' },
    );
    expect((await payment.gatewayCalls(orderId)).map((call) => call.kind)).toEqual(['charge', 'refund']);
    expect(await payment.results(orderId)).toHaveLength(1);
  });

  it('given a charge the processor made but answered as declined (the payment FAILED) and the order then cancelled, when reconciled, then the payment is corrected from the processor and the charge refunded once', async () => {
    // given
    const order = orderCreated({ paymentToken: 'tok_chargeDeclined', amount: 7_700 });
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await eventually(async () => (await payment.results(order.orderId)).length > 0, {
      ...SETTLED,
      what: 'payment_result failed',
    });
    expect((await payment.http().get(`/payments/${order.orderId}`).expect(200)).body.status).toBe('FAILED');
    // The processor's own record: it charged after all (its "declined" answer was wrong).
    await payment.db.query(
      `UPDATE gateway_calls SET succeeded = true, reason = NULL WHERE idempotency_key = $1`,
      [`charge:${order.orderId}`],
    );
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_DECLINED'),
      { messageId: randomUUID() },
    );
    await eventually(() => payment.runs(ROUTING_KEYS.orderCancelled, order.orderId).length > 0, {
      ...SETTLED,
      what: 'order_cancelled handled',
    });

    // when
    const found = await payment.app.get(ChargeReconciliation).sweep(0, 3_600);
    await payment.app.get(ChargeReconciliation).sweep(0, 3_600);

    // then
    expect(found).toBeGreaterThanOrEqual(1);
    const { body: view } = await payment.http().get(`/payments/${order.orderId}`).expect(200);
    expect(view).toMatchObject({ status: 'REFUNDED', amount: 7_700 });
    expect(
      (await payment.gatewayCalls(order.orderId)).map(({ kind, succeeded }) => [kind, succeeded]),
    ).toEqual([
      ['charge', true],
      ['refund', true],
    ]);
  });

  it.each([
    { processor: 'charged', outcome: 'refunded', status: 'REFUNDED', calls: ['charge', 'refund'] },
    { processor: 'never charged', outcome: 'not_charged', status: 'FAILED', calls: [] },
  ])(
    'given a claim left PENDING by a charging copy that died, the processor having $processor, and the order cancelled with no delivery since, when reconciled, then the claim is decided from the processor and the cancellation answered $outcome',
    async ({ processor, outcome, status, calls }) => {
      // given
      const orderId = randomUUID();
      await claimLeft(payment.db, orderId, 3_600);
      if (processor === 'charged') {
        await payment.app.get(PaymentGateway).charge({
          idempotencyKey: `charge:${orderId}`,
          amount: 4_400,
          currency: 'EUR',
          paymentToken: 'tok_visa',
        });
      }
      // No delivery since the claim was left (one would decide it itself: cancellations.e2e-spec.ts).
      await cancellationUnanswered(payment.db, orderId);

      // when
      await payment.app.get(ChargeReconciliation).sweep(0, 3_600);

      // then
      const answer = await payment.broker.nextTapped(ROUTING_KEYS.paymentCancelled, orderId);
      expect(answer.payload).toMatchObject({ orderId, outcome });
      expect((await payment.http().get(`/payments/${orderId}`).expect(200)).body.status).toBe(status);
      expect((await payment.gatewayCalls(orderId)).map((call) => call.kind)).toEqual(calls);
    },
  );

  /** Holds the processor's answer to this order's charge until `letGo`: a charge in flight. */
  const chargeInFlight = (orderId: string) => {
    const gateway = payment.app.get(PaymentGateway);
    const real = gateway.charge.bind(gateway);
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const spy = jest.spyOn(gateway, 'charge').mockImplementation(async (request) => {
      if (request.idempotencyKey === `charge:${orderId}`) await held;
      return real(request);
    });
    return { spy, letGo };
  };

  /** An order whose charge is in flight and whose cancellation came (and was recorded) an hour ago. */
  const cancelledWhileCharging = async () => {
    const order = orderCreated({ amount: 5_500 });
    const inFlight = chargeInFlight(order.orderId);
    await payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() });
    await eventually(
      () => inFlight.spy.mock.calls.some(([request]) => request.idempotencyKey.endsWith(order.orderId)),
      {
        ...SETTLED,
        what: 'the charge sent to the processor',
      },
    );
    await payment.broker.publish(
      ROUTING_KEYS.orderCancelled,
      orderCancelled(order.orderId, 'PAYMENT_TIMEOUT'),
      {
        messageId: randomUUID(),
      },
    );
    await eventually(
      async () =>
        (
          await payment.db.query(
            `UPDATE cancellations SET cancelled_at = now() - interval '1 hour' WHERE order_id = $1 RETURNING 1`,
            [order.orderId],
          )
        )[0].length > 0,
      { ...SETTLED, what: 'the cancellation recorded' },
    );
    return { order, inFlight };
  };

  const statusOf = async (orderId: string): Promise<string> =>
    (await payment.db.query('SELECT status FROM payments WHERE order_id = $1', [orderId]))[0].status;

  it('given a charge in flight for an order cancelled long ago, when reconciled, then its claim is left to the charge, which is then refunded at once', async () => {
    // given
    const { order, inFlight } = await cancelledWhileCharging();
    try {
      // when
      await payment.app.get(ChargeReconciliation).sweep(0, 3_600);

      // then
      expect(await statusOf(order.orderId)).toBe('PENDING');
      inFlight.letGo();
      await eventually(async () => (await statusOf(order.orderId)) === 'REFUNDED', {
        ...SETTLED,
        what: 'the charge refunded',
      });
      const answer = await payment.broker.nextTapped(ROUTING_KEYS.paymentCancelled, order.orderId);
      expect(answer.payload).toMatchObject({ orderId: order.orderId, outcome: 'refunded' });
      expect((await payment.gatewayCalls(order.orderId)).map((call) => call.kind)).toEqual([
        'charge',
        'refund',
      ]);
    } finally {
      inFlight.letGo();
      inFlight.spy.mockRestore();
    }
  });

  it('given a claim decided as never charged while its charge was still in flight (slower than the timeout), when the charge then succeeds, then it is recorded and refunded at once', async () => {
    // given: the claim last sent to the processor an hour ago, as the reconciliation sees it
    const { order, inFlight } = await cancelledWhileCharging();
    try {
      await payment.db.query(
        `UPDATE payments SET charging_at = now() - interval '1 hour' WHERE order_id = $1`,
        [order.orderId],
      );
      await payment.app.get(ChargeReconciliation).sweep(0, 3_600);
      expect(await statusOf(order.orderId)).toBe('FAILED');

      // when
      inFlight.letGo();

      // then
      await eventually(async () => (await statusOf(order.orderId)) === 'REFUNDED', {
        ...SETTLED,
        what: 'the late charge recorded and refunded',
      });
      expect(
        (await payment.gatewayCalls(order.orderId)).map(({ kind, succeeded }) => [kind, succeeded]),
      ).toEqual([
        ['charge', true],
        ['refund', true],
      ]);
    } finally {
      inFlight.letGo();
      inFlight.spy.mockRestore();
    }
  });
});
