import { randomUUID } from 'node:crypto';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { eventually } from '@boxoffice/testing/eventually';
import { PaymentGateway } from '../gateway/payment-gateway';
import { orderCancelled, PaymentTestApp, startPayment } from '../payment.test-app';
import { PaymentsService } from './payments.service';

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
    const found = await payment.app.get(PaymentsService).reconcile(0, 3_600);
    const again = await payment.app.get(PaymentsService).reconcile(0, 3_600);

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
});
