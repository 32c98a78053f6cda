import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { eventually } from '@boxoffice/testing/eventually';
import { recordSpans, type RecordedSpans } from '@boxoffice/testing/recorded-spans';
import { putSale } from '@boxoffice/testing/sale-stock';
import { startServiceApp, type ServiceTestApp } from '@boxoffice/testing/start-service-app';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { InventoryConfig } from '../services/inventory/src/inventory.config';
import { InventoryModule } from '../services/inventory/src/inventory.module';
import { OrderConfig } from '../services/order/src/order.config';
import { orderTransportOptions } from '../services/order/src/order.messaging';
import { OrderModule } from '../services/order/src/order.module';
import { PaymentConfig } from '../services/payment/src/payment.config';
import { paymentTransportOptions } from '../services/payment/src/payment.messaging';
import { PaymentModule } from '../services/payment/src/payment.module';

/**
 * The three services in one process (a test outside services/ may import them all), each with its own Postgres schema
 * and one vhost, talking over real HTTP and RabbitMQ exactly as in production: only the span exporter is in memory.
 */
describe('one trace per order (e2e: order, inventory and payment in-process; real Postgres, Redis, RabbitMQ)', () => {
  let spans: RecordedSpans;
  let corner: TestCorner;
  let order: ServiceTestApp;
  let inventory: ServiceTestApp;

  beforeAll(async () => {
    // Before the apps: their HTTP hooks are added only when tracing is on.
    spans = recordSpans();
    corner = await openTestCorner('trace', { vhost: true });
    const started = async (app: Promise<ServiceTestApp>) => {
      const service = await app;
      corner.defer(() => service.close());
      return service;
    };
    inventory = await started(
      startServiceApp({
        module: InventoryModule,
        configType: InventoryConfig,
        config: new InventoryConfig(corner.env('inventory')),
        listen: true,
      }),
    );
    const payment = new PaymentConfig({ ...corner.env('payment'), GATEWAY_LATENCY_MS: '5' });
    await started(
      startServiceApp({
        module: PaymentModule,
        configType: PaymentConfig,
        config: payment,
        transport: paymentTransportOptions(payment),
      }),
    );
    const orderConfig = new OrderConfig({ ...corner.env('order'), INVENTORY_URL: inventory.url ?? '' });
    order = await started(
      startServiceApp({
        module: OrderModule,
        configType: OrderConfig,
        config: orderConfig,
        transport: orderTransportOptions(orderConfig),
      }),
    );
    await putSale(inventory, 'traced-gig', { totalStock: 10 });
  });
  afterAll(async () => {
    await corner?.dispose();
    await spans?.stop();
  });

  /** Places an order, waits until it has `status`, then for its trace to hold the ended span `last`. */
  async function traceOfOrder(buyer: Record<string, unknown>, status: string, last: string) {
    const { body: placed } = await order
      .http()
      .post('/orders')
      .send({ eventId: 'traced-gig', quantity: 1, ...buyer })
      .expect(202);
    await eventually(
      async () => (await order.http().get(`/orders/${placed.orderId}`)).body.status === status,
      { what: `order ${placed.orderId} ${status}` },
    );
    return eventually(
      () => {
        const published = spans
          .all()
          .find(
            (span) =>
              span.name === 'publish order_created' &&
              span.attributes['messaging.message.conversation_id'] === placed.orderId,
          );
        const trace = published ? spans.trace(published.spanContext().traceId) : [];
        return trace.some((span) => span.name === last) && { orderId: placed.orderId as string, trace };
      },
      { what: `${last} in the trace of ${placed.orderId}` },
    );
  }

  const only = (trace: ReadableSpan[], name: string): ReadableSpan => {
    const found = trace.filter((span) => span.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };

  const UP_TO_THE_REPLY = [
    'payment_result',
    'consume payment_result',
    'publish payment_result',
    'charge',
    'consume order_created',
    'publish order_created',
    'POST /orders',
  ];

  it('given tracing on, when an order is placed and paid, then POST /orders, the reserve, the outbox publish, the charge and the commit are one trace, each span the child of the step before', async () => {
    // The consumer's span ends once the handler that confirmed the order has returned.
    const { orderId, trace } = await traceOfOrder({ userId: 'alice' }, 'CONFIRMED', 'consume payment_result');

    const root = only(trace, 'POST /orders');
    expect(root.parentSpanContext).toBeUndefined();
    // A hold is asked in a reserve batch, traced in the trace of the request that opened it (here, the only one).
    expect(spans.ancestry(only(trace, 'POST /reservations/batch'))).toEqual([
      'POST /reservations/batch',
      'inventory reserve batch',
      'POST /orders',
    ]);
    expect(spans.ancestry(only(trace, 'POST /reservations/commits'))).toEqual([
      'POST /reservations/commits',
      'inventory commit batch',
      ...UP_TO_THE_REPLY,
    ]);
    expect(trace).toHaveLength(11);
    // The outbox row kept the context of the request that wrote it, for the relay to publish in later.
    const { traceId, spanId } = root.spanContext();
    expect(
      await corner.db('order').query('SELECT trace_context FROM outbox WHERE correlation_id = $1', [orderId]),
    ).toEqual([{ trace_context: { traceparent: `00-${traceId}-${spanId}-01` } }]);
  });

  it('given tracing on, when the card is declined, then the release and the cancel of order_cancelled in payment, written by the consumer, are in the same trace', async () => {
    const { trace } = await traceOfOrder(
      { userId: 'bob', paymentToken: 'tok_chargeDeclined' },
      'CANCELLED',
      'payment_cancelled', // the order's handling of payment's answer: the saga's last span
    );

    expect(spans.ancestry(only(trace, 'POST /reservations/releases'))).toEqual([
      'POST /reservations/releases',
      'inventory release batch',
      ...UP_TO_THE_REPLY,
    ]);
    expect(spans.ancestry(only(trace, 'cancel'))).toEqual([
      'cancel',
      'consume order_cancelled',
      'publish order_cancelled',
      ...UP_TO_THE_REPLY,
    ]);
    expect(spans.ancestry(only(trace, 'payment_cancelled'))).toEqual([
      'payment_cancelled',
      'consume payment_cancelled',
      'publish payment_cancelled',
      'cancel',
      'consume order_cancelled',
      'publish order_cancelled',
      ...UP_TO_THE_REPLY,
    ]);
    expect(trace).toHaveLength(17);
  });
});
