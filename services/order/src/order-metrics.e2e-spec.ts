import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics, type ScrapedMetrics } from '@boxoffice/testing/scraped-metrics';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { publishPaymentResult, startOrderStack, type OrderTestApp } from './order.test-app';

const DASHBOARD = join(
  __dirname,
  '..',
  '..',
  '..',
  'observability',
  'grafana',
  'dashboards',
  'boxoffice.json',
);

describe('GET /metrics after a small sale (e2e: order in-process, inventory and payment as processes)', () => {
  let stack: OrderTestApp;
  let payment: ServiceProcess;
  const scraped: Record<'order' | 'inventory' | 'payment', ScrapedMetrics> = {} as never;

  const order = (eventId: string, userId: string, quantity: number, paymentToken = 'tok_visa') =>
    stack.http().post('/orders').send({ eventId, userId, quantity, paymentToken });
  const ended = (orderId: string) =>
    eventually(
      async () => {
        const view: OrderView = (await stack.http().get(`/orders/${orderId}`).expect(200)).body;
        return view.status !== 'CREATED' && view;
      },
      { what: `order ${orderId} ended` },
    );

  beforeAll(async () => {
    // Given order, inventory and payment, each with metrics of its own, and two sales.
    stack = await startOrderStack('metrics', { order: { MESSAGE_MAX_ATTEMPTS: '2' } });
    payment = await stack.corner.startProcess('payment', {
      GATEWAY_LATENCY_MS: '5',
      OUTBOX_POLL_INTERVAL_MS: '50',
    });
    await eventually(async () => (await stack.broker.consumers('payment.order_created')) > 0, {
      what: 'payment consuming order_created',
    });
    await putSale(stack.inventory, 'metrics', { totalStock: 10, perUserLimit: 2 });
    await putSale(stack.inventory, 'metrics-last', { totalStock: 1 });

    // When three orders are accepted (two paid, one declined) and three refused, each with another code...
    const accepted = [
      await order('metrics', 'alice', 1).expect(202),
      await order('metrics', 'bob', 2).expect(202),
      await order('metrics', 'carol', 1, 'tok_chargeDeclined').expect(202),
    ];
    await order('metrics', 'alice', 2).expect(422);
    await order('metrics-last', 'dave', 2).expect(409);
    await order('no-such-sale', 'erin', 1).expect(404);
    await stack.http().get('/no-such-route/42').expect(404);
    // ...and order gets a payment_result that is not one, and one for an order it never took (tried twice)...
    await stack.broker.publish('payment_result', { version: 1, orderId: 'not-a-result' });
    await publishPaymentResult(stack, {
      orderId: 'never-taken',
      paymentId: 'pay-ghost',
      status: 'succeeded',
    });
    // ...and the saga has ended all three, payment has taken the cancellation, and both outboxes are empty.
    await Promise.all(accepted.map(({ body }) => ended(body.orderId)));
    await eventually(
      async () => {
        scraped.payment = await scrapeMetrics(payment);
        scraped.order = await scrapeMetrics(stack);
        return (
          scraped.payment.value('boxoffice_messages_handled_total', { queue: 'payment.order_cancelled' }) ===
            1 &&
          scraped.order.value('boxoffice_messages_dead_lettered_total') === 2 &&
          scraped.payment.value('boxoffice_outbox_backlog') === 0 &&
          scraped.order.value('boxoffice_outbox_backlog') === 0
        );
      },
      {
        what: 'payment handled the cancellation, order parked both bad results, both outboxes relayed everything',
      },
    );
    scraped.inventory = await scrapeMetrics(stack.inventory);
  });
  afterAll(() => stack?.close());

  it('then order counts the orders it accepted and refused, by code', () => {
    const { order } = scraped;
    expect(order.value('boxoffice_orders_accepted_total')).toBe(3);
    expect(order.value('boxoffice_orders_refused_total')).toBe(3);
    expect(order.value('boxoffice_orders_refused_total', { code: 'PURCHASE_LIMIT_EXCEEDED' })).toBe(1);
    expect(order.value('boxoffice_orders_refused_total', { code: 'SOLD_OUT' })).toBe(1);
    expect(order.value('boxoffice_orders_refused_total', { code: 'EVENT_NOT_FOUND' })).toBe(1);
  });

  it('then order counts the saga outcomes and times each from its 202 to its end', () => {
    const { order } = scraped;
    expect(order.value('boxoffice_saga_outcomes_total', { status: 'CONFIRMED', reason: '' })).toBe(2);
    expect(
      order.value('boxoffice_saga_outcomes_total', { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }),
    ).toBe(1);
    expect(order.value('boxoffice_order_time_to_final_seconds_count', { status: 'CONFIRMED' })).toBe(2);
    expect(order.value('boxoffice_order_time_to_final_seconds_count', { status: 'CANCELLED' })).toBe(1);
    expect(order.value('boxoffice_order_time_to_final_seconds_sum')).toBeGreaterThan(0);
    expect(order.value('boxoffice_order_time_to_final_seconds_sum')).toBeLessThan(60);
    expect(order.value('boxoffice_saga_commit_oldest_age_seconds')).toBe(0); // every paid order committed
  });

  it('then every consumer counts what it handled, retried and dead-lettered, per queue', () => {
    const { order, payment } = scraped;
    const queue = 'order.payment_result';
    expect(order.value('boxoffice_messages_handled_total', { queue })).toBe(3);
    expect(order.value('boxoffice_messages_retried_total', { queue })).toBe(1);
    expect(order.value('boxoffice_messages_dead_lettered_total', { queue, reason: 'invalid-payload' })).toBe(
      1,
    );
    expect(
      order.value('boxoffice_messages_dead_lettered_total', { queue, reason: 'attempts-exhausted' }),
    ).toBe(1);
    expect(payment.value('boxoffice_messages_handled_total', { queue: 'payment.order_created' })).toBe(3);
    expect(payment.value('boxoffice_messages_handled_total', { queue: 'payment.order_cancelled' })).toBe(1);
    expect(payment.value('boxoffice_messages_retried_total')).toBeUndefined();
    expect(payment.value('boxoffice_messages_dead_lettered_total')).toBeUndefined();
    for (const service of [order, payment])
      expect(service.value('boxoffice_outbox_oldest_unsent_age_seconds')).toBe(0);
  });

  it("then inventory shows each active sale's tickets from the ledger", () => {
    const tickets = (event_id: string, state: string) =>
      scraped.inventory.value('boxoffice_sale_tickets', { event_id, state });
    expect([tickets('metrics', 'available'), tickets('metrics', 'held'), tickets('metrics', 'sold')]).toEqual(
      [7, 0, 3],
    );
    expect([tickets('metrics-last', 'available'), tickets('metrics-last', 'sold')]).toEqual([1, 0]);
    expect(tickets('no-such-sale', 'available')).toBeUndefined();
  });

  it('then each batch is counted with its size: six holds asked one at a time, three orders recorded one at a time', () => {
    const batches = (batch: string) => [
      scraped.order.value('boxoffice_batch_size_count', { batch }),
      scraped.order.value('boxoffice_batch_size_sum', { batch }),
    ];
    expect(batches('reserve')).toEqual([6, 6]);
    expect(batches('record')).toEqual([3, 3]);
    // The two paid orders committed together or one call each: two items either way.
    expect(batches('commit')[1]).toBe(2);
  });

  it('then HTTP durations are counted by route pattern and status, never by order id', () => {
    const answers = (service: ScrapedMetrics, method: string, route: string, status: string) =>
      service.value('boxoffice_http_request_duration_seconds_count', { method, route, status });
    expect(answers(scraped.order, 'POST', '/orders', '202')).toBe(3);
    expect(answers(scraped.order, 'POST', '/orders', '409')).toBe(1);
    expect(answers(scraped.order, 'POST', '/orders', '422')).toBe(1);
    expect(answers(scraped.order, 'POST', '/orders', '404')).toBe(1);
    expect(answers(scraped.order, 'GET', '/orders/:orderId', '200')).toBeGreaterThanOrEqual(3);
    expect(answers(scraped.order, 'GET', 'unmatched', '404')).toBe(1);
    // Each order asked alone (one after the other) is a batch of one: six holds asked, three answered as refusals.
    expect(answers(scraped.inventory, 'POST', '/reservations/batch', '200')).toBe(6);
    expect(answers(scraped.inventory, 'POST', '/reservations', '201')).toBeUndefined();
    // The two paid orders are committed through the batch route, together or one call each.
    expect(answers(scraped.inventory, 'POST', '/reservations/commits', '200')).toBeGreaterThanOrEqual(1);
    expect(answers(scraped.inventory, 'POST', '/reservations/commits', '200')).toBeLessThanOrEqual(2);
    expect(answers(scraped.inventory, 'POST', '/reservations/:orderId/commit', '200')).toBeUndefined();
    expect(answers(scraped.inventory, 'POST', '/reservations/releases', '200')).toBe(1);
    expect(answers(scraped.inventory, 'POST', '/reservations/:orderId/release', '200')).toBeUndefined();
  });

  it('then the Grafana dashboard asks only for metrics the services declare', () => {
    const declared = new Set(Object.values(scraped).flatMap((service) => [...service.families]));
    const exprs: string[] = JSON.parse(readFileSync(DASHBOARD, 'utf8')).panels.flatMap(
      (panel: { targets?: Array<{ expr: string }> }) => (panel.targets ?? []).map((target) => target.expr),
    );
    const asked = exprs.flatMap((expr) => expr.match(/\b(boxoffice|nodejs|process)_[a-z0-9_]+/g) ?? []);
    const families = asked.map((name) => name.replace(/_(bucket|count|sum)$/, ''));

    expect(families.length).toBeGreaterThan(10);
    expect(families.filter((family) => !declared.has(family))).toEqual([]);
  });
});
