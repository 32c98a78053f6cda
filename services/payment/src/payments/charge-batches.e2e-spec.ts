import { processorUnavailable } from '../gateway/gateway-outage';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { PaymentGateway } from '../gateway/payment-gateway';
import { cancellationUnanswered, orderCreated, PaymentTestApp, startPayment } from '../payment.test-app';
import { PaymentsService } from './payments.service';

describe('Payments in batches: order_created deliveries charged together (e2e, real Postgres)', () => {
  let payment: PaymentTestApp;
  let payments: PaymentsService;

  beforeAll(async () => {
    payment = await startPayment('chargebatches');
    payments = payment.app.get(PaymentsService);
  });
  afterAll(() => payment?.close());

  const statusOf = async (orderId: string) => {
    const [row] = await payment.db.query('SELECT status, reason FROM payments WHERE order_id = $1', [
      orderId,
    ]);
    return row ? { status: row.status, reason: row.reason } : null;
  };

  it('given ten new orders, when they are charged as one batch, then payment sends Postgres the 9 statements of one order (claim 4, record 5)', async () => {
    // given: every statement payment's own code sends (not the processor's, nor the relay's)
    const orders = Array.from({ length: 10 }, () => orderCreated({ paymentToken: 'tok_visa' }));
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
    let outcomes: PromiseSettledResult<void>[];
    try {
      outcomes = await payments.chargeOrders(orders);
    } finally {
      counting.mockRestore();
    }

    // then
    expect(outcomes.map(({ status }) => status)).toEqual(Array(10).fill('fulfilled'));
    expect(statements).toHaveLength(9);
    for (const { orderId } of orders)
      expect(await statusOf(orderId)).toEqual({ status: 'SUCCEEDED', reason: null });
  });

  it('given a batch of a good card, a declined card, an order already cancelled, one already charged, a copy of it and one whose processor call fails, when it is charged, then each order gets its own outcome and only the failed call is left to retry', async () => {
    // given
    const good = orderCreated({ paymentToken: 'tok_visa' });
    const declined = orderCreated({ paymentToken: 'tok_chargeDeclined' });
    const cancelled = orderCreated({ paymentToken: 'tok_visa' });
    await cancellationUnanswered(payment.db, cancelled.orderId);
    const decided = orderCreated({ paymentToken: 'tok_visa' });
    await payments.chargeOrder(decided);
    const unlucky = orderCreated({ paymentToken: 'tok_visa' });
    const gateway = payment.app.get(PaymentGateway);
    const realCharge = gateway.charge.bind(gateway);
    const down = processorUnavailable('charge', unlucky.orderId, 'refused the call');
    const charging = jest
      .spyOn(gateway, 'charge')
      .mockImplementation((request) =>
        request.idempotencyKey.endsWith(unlucky.orderId) ? Promise.reject(down) : realCharge(request),
      );

    // when
    let outcomes: PromiseSettledResult<void>[];
    try {
      outcomes = await payments.chargeOrders([good, declined, cancelled, decided, decided, unlucky]);
    } finally {
      charging.mockRestore();
    }

    // then
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'fulfilled', value: undefined },
      { status: 'fulfilled', value: undefined },
      { status: 'fulfilled', value: undefined },
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: down },
    ]);
    expect(await statusOf(good.orderId)).toEqual({ status: 'SUCCEEDED', reason: null });
    expect(await statusOf(declined.orderId)).toEqual({ status: 'FAILED', reason: 'card_declined' });
    expect(await statusOf(cancelled.orderId)).toEqual({ status: 'FAILED', reason: 'order_cancelled' });
    expect(await payment.gatewayCalls(cancelled.orderId)).toEqual([]);
    expect(await payment.gatewayCalls(decided.orderId)).toHaveLength(1);
    expect(await statusOf(unlucky.orderId)).toEqual({ status: 'PENDING', reason: null });

    // when the failed one is delivered again
    await payments.chargeOrder(unlucky);

    // then
    expect(await statusOf(unlucky.orderId)).toEqual({ status: 'SUCCEEDED', reason: null });
  });

  it('given a batch with one order its claim transaction cannot take (an amount past bigint), when it is charged, then its neighbours are charged and only that order fails', async () => {
    // given: an amount the transport would refuse, handed to the service directly, so that the batch's claim fails
    const good = orderCreated({ paymentToken: 'tok_visa' });
    const other = orderCreated({ paymentToken: 'tok_visa' });
    const broken = { ...orderCreated({ paymentToken: 'tok_visa' }), amount: 1e20 };

    // when
    const outcomes = await payments.chargeOrders([good, broken, other]);

    // then
    expect(outcomes.map(({ status }) => status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await statusOf(good.orderId)).toEqual({ status: 'SUCCEEDED', reason: null });
    expect(await statusOf(other.orderId)).toEqual({ status: 'SUCCEEDED', reason: null });
    expect(await statusOf(broken.orderId)).toBeNull();
    expect(await payment.gatewayCalls(broken.orderId)).toEqual([]);
  });
});
