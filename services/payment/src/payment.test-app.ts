import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type GetMessage,
} from 'amqplib';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import { deadLetterQueueOf, declareExchange, BOXOFFICE_EXCHANGE } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import { startServiceApp } from '@boxoffice/testing/start-service-app';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { PaymentConfig } from './payment.config';
import { paymentTransportOptions } from './payment.messaging';
import { PaymentModule } from './payment.module';
import { PaymentsService } from './payments/payments.service';

/** The consumer queues SPEC §5 names for the payment service. */
export const PAYMENT_QUEUES = {
  orderCreated: 'payment.order_created',
  orderCancelled: 'payment.order_cancelled',
} as const;

type ConsumedEvent = typeof ROUTING_KEYS.orderCreated | typeof ROUTING_KEYS.orderCancelled;

/** One run of the service's handling of a consumed message, recorded once it ended. */
export interface HandlerRun {
  routingKey: ConsumedEvent;
  orderId: string;
  /** performance.now() when the run started and ended. */
  startedAt: number;
  endedAt: number;
  error?: unknown;
}

/** A row of the simulated processor's own table. */
export interface GatewayCall {
  kind: 'charge' | 'refund';
  succeeded: boolean;
  reference: string;
  reason: string | null;
  amount: number;
}

export interface PaymentTestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  db: DataSource;
  config: PaymentConfig;
  namespace: TestNamespace;
  vhost: TestVhost;
  /**
   * Publishes an event to `boxoffice.events` as the real publisher does (persistent, JSON, confirmed, mandatory,
   * correlationId = the payload's orderId, type = routing key), straight to the broker, never through a proxy.
   */
  publish(routingKey: string, payload: object, metadata: { messageId: string }): Promise<void>;
  /** Publishes any body, JSON or not, with the same properties. */
  publishRaw(
    routingKey: string,
    body: string,
    metadata: { messageId: string; correlationId: string },
  ): Promise<void>;
  /** The `payment_result` messages the tap queue received so far for this order, in arrival order. */
  results(orderId: string): ConsumeMessage[];
  /** The service's handling runs of consumed messages for this order that have ended, in the order they ended. */
  runs(routingKey: ConsumedEvent, orderId: string): HandlerRun[];
  /** What the simulated gateway did for this order, oldest first (its idempotency keys contain the orderId). */
  gatewayCalls(orderId: string): Promise<GatewayCall[]>;
  /** Ready messages in a queue of the run's vhost, read over AMQP (the management API's counts lag). */
  depth(queue: string): Promise<number>;
  /** Takes what is in `<queue>.dlq` and returns everything dead-lettered from that queue so far. */
  deadLetters(queue: string): Promise<GetMessage[]>;
  close(): Promise<void>;
}

/** A valid `order_created` for a new order; `overrides` change any field. */
export function orderCreated(overrides: Partial<OrderCreatedMessage> = {}): OrderCreatedMessage {
  return {
    version: 1,
    orderId: randomUUID(),
    eventId: 'gig',
    userId: 'buyer-1',
    quantity: 2,
    amount: 8400,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A valid `order_cancelled` (libs/contracts order-cancelled.message.ts, version 1). */
export function orderCancelled(orderId: string, reason = 'HOLD_EXPIRED'): OrderCancelledMessage {
  return { version: 1, orderId, reason, cancelledAt: new Date().toISOString() };
}

/** The most runs that were in progress at the same moment: > 1 means copies were really handled concurrently. */
export function mostAtOnce(runs: readonly HandlerRun[]): number {
  return Math.max(
    0,
    ...runs.map(
      (run) =>
        runs.filter((other) => other.startedAt <= run.startedAt && other.endedAt > run.startedAt).length,
    ),
  );
}

/** Parses a tapped message's body. */
export function bodyOf(message: { content: Buffer }): unknown {
  return JSON.parse(message.content.toString('utf8'));
}

/**
 * The real payment module on real Postgres and RabbitMQ, in a schema and a vhost of its own, with a tap queue
 * bound to `boxoffice.events` by `payment_result` (so results are routable, and tests can read them).
 *
 * `publisherPort`: the publisher's RABBITMQ_URL goes to this port on 127.0.0.1 (a TcpProxy), same vhost; the
 * consumers stay connected straight to the broker.
 */
export async function startPayment(
  label: string,
  settings: Record<string, string> = {},
  { publisherPort }: { publisherPort?: number } = {},
): Promise<PaymentTestApp> {
  const namespace = testNamespace(label);
  const cleanups: Array<() => Promise<unknown>> = [() => namespace.dispose()];
  const close = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => errors.push(error));
    if (errors.length) throw new AggregateError(errors, `closing the payment test app of ${label}`);
  };
  try {
    const vhost = await createTestVhost(label);
    cleanups.push(() => vhost.dispose());

    // The test's own connection: publishing, inspecting, and the tap, each on a channel of its own so that a
    // failed check (which closes its channel) never stops the tap.
    const connection: ChannelModel = await connect(vhost.url);
    cleanups.push(() => connection.close());
    const publishing: ConfirmChannel = await connection.createConfirmChannel();
    const returned = new Set<string>();
    publishing.on('return', (message: ConsumeMessage) => returned.add(String(message.properties.messageId)));
    const inspecting: Channel = await connection.createChannel();
    const tapping: Channel = await connection.createChannel();
    await declareExchange(tapping);
    const { queue: tap } = await tapping.assertQueue('', { exclusive: true, durable: false });
    await tapping.bindQueue(tap, BOXOFFICE_EXCHANGE, ROUTING_KEYS.paymentResult);
    const tapped: ConsumeMessage[] = [];
    await tapping.consume(tap, (message) => message && tapped.push(message), { noAck: true });

    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      PAYMENT_DB_SCHEMA: namespace.schema,
      PAYMENT_DB_POOL_SIZE: '5',
      RABBITMQ_URL: vhost.url,
      MESSAGE_RETRY_DELAY_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '50',
      GATEWAY_LATENCY_MS: '5',
      ...settings,
    };
    const config = new PaymentConfig(
      publisherPort === undefined ? env : { ...env, RABBITMQ_URL: withPort(vhost.url, publisherPort) },
    );
    const service = await startServiceApp({
      module: PaymentModule,
      configType: PaymentConfig,
      config,
      transport: paymentTransportOptions(new PaymentConfig(env)),
    });
    cleanups.push(() => service.close());

    const runs: HandlerRun[] = [];
    recordRuns(service.app.get(PaymentsService), runs);

    // Consuming both queues before any test publishes.
    await eventually(
      async () => {
        for (const queue of Object.values(PAYMENT_QUEUES)) {
          if ((await inspecting.checkQueue(queue)).consumerCount < 1) return false;
        }
        return true;
      },
      { what: 'payment consuming its queues' },
    );

    const send = async (
      routingKey: string,
      content: Buffer,
      { messageId, correlationId }: { messageId: string; correlationId: string },
    ): Promise<void> => {
      await new Promise<void>((resolve, reject) =>
        publishing.publish(
          BOXOFFICE_EXCHANGE,
          routingKey,
          content,
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId,
            correlationId,
            type: routingKey,
            timestamp: Math.floor(Date.now() / 1000),
            appId: 'order',
          },
          (error: unknown) => (error ? reject(new Error(`not confirmed: ${String(error)}`)) : resolve()),
        ),
      );
      if (returned.delete(messageId)) throw new Error(`unroutable: no queue bound for "${routingKey}"`);
    };

    const deadLettered = new Map<string, GetMessage[]>();

    return {
      app: service.app,
      http: service.http,
      db: service.app.get(DataSource),
      config,
      namespace,
      vhost,
      publish: (routingKey, payload, { messageId }) =>
        send(routingKey, Buffer.from(JSON.stringify(payload), 'utf8'), {
          messageId,
          correlationId: String((payload as { orderId?: unknown }).orderId),
        }),
      publishRaw: (routingKey, body, metadata) => send(routingKey, Buffer.from(body, 'utf8'), metadata),
      results: (orderId) => tapped.filter((message) => message.properties.correlationId === orderId),
      runs: (routingKey, orderId) =>
        runs.filter((run) => run.routingKey === routingKey && run.orderId === orderId),
      gatewayCalls: async (orderId) => {
        const rows: Array<GatewayCall & { amount: string }> = await service.app.get(DataSource).query(
          `SELECT kind, succeeded, reference, reason, amount FROM gateway_calls
             WHERE strpos(idempotency_key, $1) > 0 ORDER BY created_at`,
          [orderId],
        );
        return rows.map((row) => ({ ...row, amount: Number(row.amount) }));
      },
      depth: async (queue) => (await inspecting.checkQueue(queue)).messageCount,
      deadLetters: async (queue) => {
        const taken = deadLettered.get(queue) ?? [];
        deadLettered.set(queue, taken);
        for (;;) {
          const message = await inspecting.get(deadLetterQueueOf(queue), { noAck: true });
          if (!message) return [...taken];
          taken.push(message);
        }
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** Records every ended run of the service's handling methods, which the message handlers call. */
function recordRuns(service: PaymentsService, runs: HandlerRun[]): void {
  const chargeOrder = service.chargeOrder.bind(service);
  const refundOrder = service.refundOrder.bind(service);
  const track = async (routingKey: ConsumedEvent, orderId: string, work: () => Promise<void>) => {
    const startedAt = performance.now();
    try {
      await work();
      runs.push({ routingKey, orderId, startedAt, endedAt: performance.now() });
    } catch (error) {
      runs.push({ routingKey, orderId, startedAt, endedAt: performance.now(), error });
      throw error;
    }
  };
  service.chargeOrder = (order) => track(ROUTING_KEYS.orderCreated, order.orderId, () => chargeOrder(order));
  service.refundOrder = (cancelled) =>
    track(ROUTING_KEYS.orderCancelled, cancelled.orderId, () => refundOrder(cancelled));
}

function withPort(amqpUrl: string, port: number): string {
  const url = new URL(amqpUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}
