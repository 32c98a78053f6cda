import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { createTestVhost, TEST_AMQP_URL, type TestVhost } from '@boxoffice/testing/test-vhost';
import { BOXOFFICE_EXCHANGE } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import { startServiceApp } from '@boxoffice/testing/start-service-app';
import { TcpProxy } from '@boxoffice/testing/tcp-proxy';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
// A test helper of another service: tests may start inventory in-process, production code never imports it.
import { InventoryTestApp, startInventory } from '../../inventory/src/inventory.test-app';
import { OrderConfig } from './order.config';
import { orderTransportOptions } from './order.messaging';
import { OrderModule } from './order.module';

/** What order publishes, each read from a tap queue of its own (standing in for payment's queues). */
export const TAPPED = [ROUTING_KEYS.orderCreated, ROUTING_KEYS.orderCancelled] as const;
export type TappedEvent = (typeof TAPPED)[number];

export interface OrderStackOptions {
  /** Order settings on top of the test defaults (short retry delay, short outbox poll...). */
  order?: Record<string, string>;
  /** Inventory settings (HOLD_TTL_SECONDS...). */
  inventory?: Record<string, string>;
  /** Order reaches inventory through a TcpProxy the test can cut (`inventoryLink`). */
  proxyInventory?: boolean;
  /** Order reaches RabbitMQ through a TcpProxy the test can cut (`rabbitLink`), keeping the vhost. */
  proxyRabbitmq?: boolean;
  /** Order reaches Postgres through a TcpProxy the test can cut (`postgresLink`); inventory does not. */
  proxyPostgres?: boolean;
}

/** The real order module with a real inventory, Postgres, Redis and RabbitMQ, in a namespace and vhost of its own. */
export interface OrderTestApp {
  app: NestFastifyApplication;
  /** supertest against order. */
  http: () => ReturnType<typeof request>;
  /** Order's own database (schema `<id>_order`). */
  db: DataSource;
  config: OrderConfig;
  inventory: InventoryTestApp;
  namespace: TestNamespace;
  vhost: TestVhost;
  broker: TestBroker;
  inventoryLink?: Link;
  rabbitLink?: Link;
  postgresLink?: Link;
  close(): Promise<void>;
}

export async function startOrderStack(label: string, options: OrderStackOptions = {}): Promise<OrderTestApp> {
  const namespace = testNamespace(label);
  const cleanup: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch((error) => console.warn(`cleanup: ${error}`));
  };
  try {
    const vhost = await createTestVhost(label);
    cleanup.push(() => vhost.dispose());
    const inventory = await startInventory(label, options.inventory, { listen: true, namespace });
    cleanup.push(() => inventory.close()); // also drops order's schema (`<id>_order`) and the Redis keys
    const broker = await TestBroker.open(vhost.url);
    cleanup.push(() => broker.close());

    let inventoryUrl = inventory.url!;
    let inventoryLink: Link | undefined;
    if (options.proxyInventory) {
      const target = new URL(inventoryUrl);
      inventoryLink = await Link.open(target.hostname, Number(target.port));
      cleanup.push(() => inventoryLink!.dispose());
      inventoryUrl = `http://127.0.0.1:${inventoryLink.port}`;
    }
    let rabbitmqUrl = vhost.url;
    let rabbitLink: Link | undefined;
    if (options.proxyRabbitmq) {
      const target = new URL(TEST_AMQP_URL);
      rabbitLink = await Link.open(target.hostname, Number(target.port || 5672));
      cleanup.push(() => rabbitLink!.dispose());
      const proxied = new URL(vhost.url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(rabbitLink.port);
      rabbitmqUrl = proxied.toString();
    }

    let databaseUrl = TEST_DATABASE_URL;
    let postgresLink: Link | undefined;
    if (options.proxyPostgres) {
      const target = new URL(TEST_DATABASE_URL);
      postgresLink = await Link.open(target.hostname, Number(target.port || 5432));
      cleanup.push(() => postgresLink!.dispose());
      const proxied = new URL(TEST_DATABASE_URL);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(postgresLink.port);
      databaseUrl = proxied.toString();
    }

    const config = new OrderConfig({
      DATABASE_URL: databaseUrl,
      ORDER_DB_SCHEMA: `${namespace.id}_order`,
      ORDER_DB_POOL_SIZE: '10',
      INVENTORY_URL: inventoryUrl,
      INVENTORY_TIMEOUT_MS: '1000',
      RABBITMQ_URL: rabbitmqUrl,
      MESSAGE_RETRY_DELAY_MS: '200',
      PUBLISH_TIMEOUT_MS: '1000',
      OUTBOX_POLL_INTERVAL_MS: '100',
      ...options.order,
    });
    const service = await startServiceApp({
      module: OrderModule,
      configType: OrderConfig,
      config,
      transport: orderTransportOptions(config),
    });
    // Before the links are disposed, so that a cut link is open again while order shuts down.
    cleanup.push(async () => {
      await inventoryLink?.restore();
      await rabbitLink?.restore();
      await postgresLink?.restore();
      await service.close();
    });
    return {
      app: service.app,
      http: service.http,
      db: service.app.get(DataSource),
      config,
      inventory,
      namespace,
      vhost,
      broker,
      inventoryLink,
      rabbitLink,
      postgresLink,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A TcpProxy that knows whether it is cut, so that it can be restored (once) and disposed safely. */
export class Link {
  private isCut = false;

  private constructor(private readonly proxy: TcpProxy) {}

  static async open(host: string, port: number): Promise<Link> {
    const proxy = new TcpProxy(host, port);
    await proxy.open();
    return new Link(proxy);
  }

  get port(): number {
    return this.proxy.port;
  }

  /** Refuses new connections and cuts the open ones. */
  async cut(): Promise<void> {
    if (this.isCut) return;
    this.isCut = true;
    await this.proxy.cut();
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (!this.isCut) return;
    await this.proxy.open();
    this.isCut = false;
  }

  async dispose(): Promise<void> {
    await this.cut();
  }
}

export type TappedMessage = GetMessage & { payload: Record<string, unknown> };

/**
 * The test's own connection to the vhost (never through a proxy): tap queues bound to what order publishes,
 * so that `order_created` is routable, as payment's queue makes it in production; and a publisher of
 * `payment_result`, standing in for payment.
 */
export class TestBroker {
  private readonly collected = new Map<string, TappedMessage[]>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<TestBroker> {
    const connection = await connect(url);
    connection.on('error', () => undefined); // the vhost's deletion closes it; close() comes first anyway
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(BOXOFFICE_EXCHANGE, 'topic', { durable: true });
    for (const routingKey of TAPPED) {
      await channel.assertQueue(tapQueueOf(routingKey), { durable: true });
      await channel.bindQueue(tapQueueOf(routingKey), BOXOFFICE_EXCHANGE, routingKey);
    }
    return new TestBroker(connection, channel);
  }

  /** Every message tapped so far with this routing key and correlationId (= orderId). */
  tapped(routingKey: TappedEvent, orderId: string): Promise<TappedMessage[]> {
    return this.taken(tapQueueOf(routingKey), orderId);
  }

  /** Waits for the first tapped message of an order. */
  async nextTapped(routingKey: TappedEvent, orderId: string, timeoutMs = 10_000): Promise<TappedMessage> {
    const [message] = await eventually(
      async () => {
        const messages = await this.tapped(routingKey, orderId);
        return messages.length > 0 && messages;
      },
      { timeoutMs, what: `${routingKey} of ${orderId} tapped` },
    );
    return message;
  }

  /**
   * Takes every message out of a queue nobody else consumes (a tap, a DLQ) and returns all taken from it so far
   * with this correlationId.
   */
  async taken(queue: string, orderId: string): Promise<TappedMessage[]> {
    const messages = this.collected.get(queue) ?? [];
    this.collected.set(queue, messages);
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (!message) break;
      messages.push({ ...message, payload: parseJson(message.content.toString()) });
    }
    return messages.filter((message) => message.properties.correlationId === orderId);
  }

  /** Publishes a `payment_result` as payment does (persistent, JSON, SPEC §5 properties) and waits for the confirm. */
  async publishPaymentResult(
    result: Omit<PaymentResultMessage, 'version' | 'processedAt'> & Partial<PaymentResultMessage>,
    messageId: string = randomUUID(),
  ): Promise<string> {
    const payload: PaymentResultMessage = { version: 1, processedAt: new Date().toISOString(), ...result };
    const routed = this.channel.publish(
      BOXOFFICE_EXCHANGE,
      ROUTING_KEYS.paymentResult,
      Buffer.from(JSON.stringify(payload)),
      {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        messageId,
        correlationId: result.orderId,
        type: ROUTING_KEYS.paymentResult,
        appId: 'payment',
      },
    );
    if (!routed) throw new Error('publish buffer full');
    await this.channel.waitForConfirms();
    return messageId;
  }

  /** Messages ready in a queue, read over AMQP (the management API's counts lag). */
  async depth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function tapQueueOf(routingKey: TappedEvent): string {
  return `tap.${routingKey}`;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsed: text };
  }
}

export interface SaleCounts {
  totalStock: number;
  available: number;
  held: number;
  sold: number;
  ledger: { available: number; held: number; sold: number };
}

/** A sale as inventory reports it, checked for conservation in Redis and in Postgres. */
export async function saleCounts(stack: OrderTestApp, eventId: string): Promise<SaleCounts> {
  const { body } = await stack.inventory.http().get(`/events/${eventId}`).expect(200);
  const counts = body as SaleCounts;
  expect(counts.available + counts.held + counts.sold).toBe(counts.totalStock);
  expect(counts.ledger).toEqual({ available: counts.available, held: counts.held, sold: counts.sold });
  return counts;
}

/** Creates (201) or changes (200) a sale in inventory. */
export async function putSale(
  stack: OrderTestApp,
  eventId: string,
  sale: { totalStock: number; perUserLimit?: number; unitPrice?: number; currency?: string },
): Promise<void> {
  await stack.inventory
    .http()
    .put(`/events/${eventId}`)
    .send({ name: `Sale ${eventId}`, unitPrice: 4200, currency: 'EUR', ...sale })
    .expect((response) => {
      if (![200, 201].includes(response.status)) throw new Error(`PUT sale: ${response.status}`);
    });
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
