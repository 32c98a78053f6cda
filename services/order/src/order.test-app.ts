import { DataSource } from 'typeorm';
import type { PaymentCancelledMessage } from '@boxoffice/contracts/payment/payment-cancelled.message';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import type { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { startServiceApp, type ServiceTestApp } from '@boxoffice/testing/start-service-app';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { startInCorner, type SchemaDb, type TestCorner } from '@boxoffice/testing/test-corner';
import type { TestBroker } from '@boxoffice/testing/test-broker';
import { TEST_DATABASE_URL } from '@boxoffice/testing/test-namespace';
import { TEST_AMQP_URL } from '@boxoffice/testing/test-vhost';
import { saleCounts, type SaleCounts } from '@boxoffice/testing/sale-stock';
import { OrderConfig } from './order.config';
import { orderTransportOptions } from './order.messaging';
import { OrderModule } from './order.module';

export interface OrderStackOptions {
  /** Order settings on top of the test defaults (short retry delay, short outbox poll...). */
  order?: Record<string, string>;
  /** Inventory settings (HOLD_TTL_SECONDS, HOLD_SWEEP_INTERVAL_MS...). */
  inventory?: Record<string, string>;
  /** Order reaches inventory, RabbitMQ or Postgres through a FaultProxy the test can cut; nothing else does. */
  proxyInventory?: boolean;
  proxyRabbitmq?: boolean;
  proxyPostgres?: boolean;
  /** Order's log lines: where they go and from which level (startServiceApp's `log`). */
  log?: Parameters<typeof startServiceApp>[0]['log'];
}

/**
 * The real order module, in-process, with inventory as a real process (services never import each other, tests
 * included) and the test's broker standing in for payment: it taps what order publishes, so that order_created
 * is routable as payment's queue makes it in production, and publishes payment_result.
 */
export interface OrderTestApp extends ServiceTestApp {
  /** Order's own tables (schema `<id>_order`). */
  db: DataSource;
  config: OrderConfig;
  inventory: ServiceProcess & { db: SchemaDb };
  corner: TestCorner;
  broker: TestBroker;
  inventoryProxy?: FaultProxy;
  rabbitProxy?: FaultProxy;
  postgresProxy?: FaultProxy;
}

export function startOrderStack(label: string, options: OrderStackOptions = {}): Promise<OrderTestApp> {
  return startInCorner(label, { vhost: true }, async (corner) => {
    const broker = await corner.openBroker({
      appId: 'payment',
      tap: [ROUTING_KEYS.orderCreated, ROUTING_KEYS.orderCancelled],
    });
    const inventory = await corner.startProcess('inventory', options.inventory);
    const proxyTo = async (wanted: boolean | undefined, url: string) =>
      wanted ? corner.openProxy(url) : undefined;
    const inventoryProxy = await proxyTo(options.proxyInventory, inventory.url);
    const rabbitProxy = await proxyTo(options.proxyRabbitmq, TEST_AMQP_URL);
    const postgresProxy = await proxyTo(options.proxyPostgres, TEST_DATABASE_URL);
    const env = corner.env('order');
    const config = new OrderConfig({
      ...env,
      DATABASE_URL: postgresProxy?.url(env.DATABASE_URL) ?? env.DATABASE_URL,
      RABBITMQ_URL: rabbitProxy?.url(env.RABBITMQ_URL) ?? env.RABBITMQ_URL,
      INVENTORY_URL: inventoryProxy?.url(inventory.url) ?? inventory.url,
      ORDER_DB_POOL_SIZE: '10',
      INVENTORY_TIMEOUT_MS: '1000',
      MESSAGE_RETRY_DELAY_MS: '200',
      MESSAGE_RETRY_MAX_DELAY_MS: '1000',
      PUBLISH_TIMEOUT_MS: '1000',
      OUTBOX_POLL_INTERVAL_MS: '100',
      ...options.order,
    });
    const transport = orderTransportOptions(config);
    const service = await startServiceApp({
      module: OrderModule,
      configType: OrderConfig,
      config,
      transport,
      log: options.log,
    });
    corner.defer(() => service.close());
    return {
      ...service,
      db: service.app.get(DataSource),
      config,
      inventory: { ...inventory, db: corner.db('inventory') },
      corner,
      broker,
      inventoryProxy,
      rabbitProxy,
      postgresProxy,
      close: () => corner.dispose(),
    };
  });
}

/** Publishes a `payment_result` as payment does (version 1, processed now); resolves with its messageId. */
export function publishPaymentResult(
  stack: OrderTestApp,
  result: Omit<PaymentResultMessage, 'version' | 'processedAt'> & Partial<PaymentResultMessage>,
  messageId?: string,
): Promise<string> {
  const message: PaymentResultMessage = { version: 1, processedAt: new Date().toISOString(), ...result };
  return stack.broker.publish(ROUTING_KEYS.paymentResult, message, { messageId });
}

/** Publishes a `payment_cancelled` as payment does (version 1, processed now); resolves with its messageId. */
export function publishPaymentCancelled(
  stack: OrderTestApp,
  settled: Pick<PaymentCancelledMessage, 'orderId' | 'outcome'>,
  messageId?: string,
): Promise<string> {
  const message: PaymentCancelledMessage = { version: 1, processedAt: new Date().toISOString(), ...settled };
  return stack.broker.publish(ROUTING_KEYS.paymentCancelled, message, { messageId });
}

/** Order rows and outbox rows, straight from order's schema. */
export async function orderRows(
  stack: OrderTestApp,
  where: { orderId?: string; eventId?: string },
): Promise<Array<{ order_id: string; status: string; version: number; reason: string | null }>> {
  return stack.db.query(
    `SELECT order_id, status, version, reason FROM orders
     WHERE ($1::text IS NULL OR order_id = $1) AND ($2::text IS NULL OR event_id = $2) ORDER BY created_at`,
    [where.orderId ?? null, where.eventId ?? null],
  );
}

export async function outboxRows(
  stack: OrderTestApp,
  orderId: string,
): Promise<Array<{ message_id: string; routing_key: string; sent_at: Date | null; payload: object }>> {
  return stack.db.query(
    'SELECT message_id, routing_key, sent_at, payload FROM outbox WHERE correlation_id = $1 ORDER BY id',
    [orderId],
  );
}

/** What a refusal must leave as it was: the orders, the outbox rows and the sale's counts (no hold taken). */
export async function keptOf(
  stack: OrderTestApp,
  eventId: string,
): Promise<{ orders: number; outbox: number; sale: SaleCounts }> {
  const [{ orders, outbox }] = (await stack.db.query(
    'SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM outbox) AS outbox',
  )) as [{ orders: number; outbox: number }];
  return { orders, outbox, sale: await saleCounts(stack.inventory, eventId) };
}
