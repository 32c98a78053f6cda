import { eventually } from '@boxoffice/testing/eventually';
import { CapturedLogs, logLinesIn, type LogLine } from '@boxoffice/testing/log-lines';
import { putSale } from '@boxoffice/testing/sale-stock';
import { publishPaymentResult, startOrderStack, type OrderTestApp } from './order.test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Following one order through the logs (e2e: order in-process, real inventory, RabbitMQ, Postgres)', () => {
  let stack: OrderTestApp;
  const orderLogs = new CapturedLogs();
  const inventoryLogs = () => logLinesIn(stack.inventory.output());
  const found = (lines: () => LogLine[], what: string, match: (line: LogLine) => boolean) =>
    eventually(() => lines().find(match), { what });

  beforeAll(async () => {
    stack = await startOrderStack('logs', {
      order: { MESSAGE_RETRY_DELAY_MS: '200' },
      inventory: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
      log: { level: 'debug', destination: orderLogs.destination },
    });
    await putSale(stack.inventory, 'logged-gig', { totalStock: 10 });
  });
  afterAll(() => stack?.close());

  it('given no BUYER_JWT_* settings, when order boots, then one warn line says buyers are taken on trust from the body', () => {
    const lines = orderLogs.lines().filter((line) => line.context === 'buyers');

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining('buyers are not authenticated'),
      }),
    ]);
  });

  it('given an X-Request-Id, when an order is placed and paid, then order, inventory, saga and consumer lines say which request, order and message they belong to', async () => {
    const { body: placed, headers } = await stack
      .http()
      .post('/orders')
      .set('X-Request-Id', 'buyer-call-42')
      .send({ eventId: 'logged-gig', userId: 'ada', quantity: 1 })
      .expect(202);
    expect(headers['x-request-id']).toBe('buyer-call-42');

    const orderLine = await found(
      () => orderLogs.lines(),
      'an order line of the request',
      (line) =>
        /POST \/orders|CREATED/.test(`${line.msg} ${JSON.stringify(line.req ?? '')}`) &&
        line.requestId === 'buyer-call-42',
    );
    expect(orderLine).toMatchObject({ service: 'order', requestId: 'buyer-call-42' });
    const inventoryLine = await found(
      inventoryLogs,
      'an inventory line of the forwarded request',
      (line) => line.requestId === 'buyer-call-42',
    );
    expect(inventoryLine).toMatchObject({
      service: 'inventory',
      req: { method: 'POST', url: '/reservations/batch' },
    });

    const messageId = await publishPaymentResult(stack, {
      orderId: placed.orderId,
      paymentId: 'pay-ada',
      status: 'succeeded',
    });

    const sagaLine = await found(
      () => orderLogs.lines(),
      'the saga line of the order ending',
      (line) => line.context === 'order-saga' && line.msg === 'order CONFIRMED',
    );
    expect(sagaLine).toMatchObject({ level: 'info', orderId: placed.orderId, messageId });
    const consumerLine = await found(
      () => orderLogs.lines(),
      'the consumer line of the payment_result',
      (line) => line.context === 'MessageConsumer' && line.messageId === messageId,
    );
    expect(consumerLine).toMatchObject({
      correlationId: placed.orderId,
      msg: expect.stringContaining('handled'),
    });
  });

  it('given no X-Request-Id, or one that is not fit for a header, when a request comes, then it is answered with a new UUID', async () => {
    const none = await stack.http().get('/orders/no-such-order').expect(404);
    const unfit = await stack.http().get('/orders/no-such-order').set('X-Request-Id', 'a b').expect(404);

    expect(none.headers['x-request-id']).toMatch(UUID);
    expect(unfit.headers['x-request-id']).toMatch(UUID);
    expect(unfit.headers['x-request-id']).not.toBe(none.headers['x-request-id']);
  });
});
