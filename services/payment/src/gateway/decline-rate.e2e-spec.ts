import { randomUUID } from 'node:crypto';
import { parsePaymentResult } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { eventually } from '@boxoffice/testing/eventually';
import { orderCreated, PaymentTestApp, startPayment } from '../payment.test-app';

const SETTLED = { timeoutMs: 10_000, intervalMs: 20 };
const ORDERS = 20;

describe('GATEWAY_DECLINE_RATE: the simulated gateway declines good cards at random (e2e)', () => {
  let declinesAll: PaymentTestApp;
  let declinesNone: PaymentTestApp;

  beforeAll(async () => {
    [declinesAll, declinesNone] = await Promise.all([
      startPayment('decline_all', { GATEWAY_DECLINE_RATE: '1' }),
      startPayment('decline_none', { GATEWAY_DECLINE_RATE: '0' }),
    ]);
  });
  afterAll(() => Promise.all([declinesAll?.close(), declinesNone?.close()]));

  /** Charges `count` tok_visa orders through `payment` and returns each order's payment_result payload. */
  async function chargeVisaOrders(payment: PaymentTestApp, count: number) {
    const orders = Array.from({ length: count }, () => orderCreated({ paymentToken: 'tok_visa' }));
    await Promise.all(
      orders.map((order) =>
        payment.broker.publish(ROUTING_KEYS.orderCreated, order, { messageId: randomUUID() }),
      ),
    );
    await eventually(
      async () => {
        for (const order of orders) if ((await payment.results(order.orderId)).length < 1) return false;
        return true;
      },
      { ...SETTLED, what: `payment_result for all ${count} orders` },
    );
    return Promise.all(
      orders.map(async (order) => ({
        result: parsePaymentResult((await payment.results(order.orderId))[0].payload),
        view: (await payment.http().get(`/payments/${order.orderId}`).expect(200)).body,
      })),
    );
  }

  it('given GATEWAY_DECLINE_RATE=1, when tok_visa orders are charged, then every one is declined with card_declined', async () => {
    const outcomes = await chargeVisaOrders(declinesAll, 5);

    expect(outcomes.map(({ result }) => [result.status, result.reason])).toEqual(
      Array(5).fill(['failed', 'card_declined']),
    );
    expect(outcomes.map(({ view }) => [view.status, view.reason])).toEqual(
      Array(5).fill(['FAILED', 'card_declined']),
    );
  });

  it(`given GATEWAY_DECLINE_RATE=0, when ${ORDERS} tok_visa orders are charged, then none is declined`, async () => {
    const outcomes = await chargeVisaOrders(declinesNone, ORDERS);

    expect(outcomes.map(({ result }) => result.status)).toEqual(Array(ORDERS).fill('succeeded'));
    expect(outcomes.map(({ view }) => view.status)).toEqual(Array(ORDERS).fill('SUCCEEDED'));
    expect(
      outcomes.every(({ result, view }) => result.reason === undefined && view.reason === undefined),
    ).toBe(true);
  });
});
