import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { OrderCancelledMessage } from '@boxoffice/contracts/order/order-cancelled.message';
import type { OrderCreatedMessage } from '@boxoffice/contracts/order/order-created.message';
import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { eventually } from '@boxoffice/testing/eventually';
import type { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { startServiceApp, type ServiceTestApp } from '@boxoffice/testing/start-service-app';
import { startInCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import type { TestBroker, TakenMessage } from '@boxoffice/testing/test-broker';
import { TEST_AMQP_URL } from '@boxoffice/testing/test-vhost';
import { timedSpy, type TimedRun } from '@boxoffice/testing/timed-spy';
import { PaymentConfig } from './payment.config';
import { paymentTransportOptions } from './payment.messaging';
import { PaymentModule } from './payment.module';
import { PaymentsService } from './payments/payments.service';

/** The consumer queues docs/contract.md §5 names for the payment service. */
export const PAYMENT_QUEUES = {
  orderCreated: 'payment.order_created',
  orderCancelled: 'payment.order_cancelled',
} as const;

type ConsumedMessage = typeof ROUTING_KEYS.orderCreated | typeof ROUTING_KEYS.orderCancelled;

/** A row of the simulated processor's own table. */
export interface GatewayCall {
  kind: 'charge' | 'refund';
  succeeded: boolean;
  reference: string;
  reason: string | null;
  amount: number;
}

export interface PaymentTestApp extends ServiceTestApp {
  db: DataSource;
  config: PaymentConfig;
  corner: TestCorner;
  /** Stands in for order: publishes order_created / order_cancelled, taps payment_result and payment_cancelled. */
  broker: TestBroker;
  /** Set with `{ proxyPublisher: true }`: the publisher's way to RabbitMQ (the consumers connect directly). */
  publisherProxy?: FaultProxy;
  /** The payment_result messages tapped so far for this order, in arrival order. */
  results(orderId: string): Promise<TakenMessage[]>;
  /** The payment_cancelled messages tapped so far for this order, in arrival order. */
  cancellations(orderId: string): Promise<TakenMessage[]>;
  /** The service's ended runs of its handling of a consumed message for this order, in the order they ended. */
  runs(routingKey: ConsumedMessage, orderId: string): TimedRun[];
  /** What the simulated gateway did for this order, oldest first (its idempotency keys contain the orderId). */
  gatewayCalls(orderId: string): Promise<GatewayCall[]>;
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

/** A claim as a charging copy leaves it when it dies before the processor answers: last sent `agoSeconds` ago. */
export function claimLeft(
  db: DataSource,
  orderId: string,
  agoSeconds: number,
  amount = 4_400,
): Promise<unknown> {
  return db.query(
    `INSERT INTO payments (payment_id, order_id, status, amount, currency, result_message_id, charging_at)
     VALUES ($1, $2, 'PENDING', $3, 'EUR', $4, now() - make_interval(secs => $5))`,
    [randomUUID(), orderId, amount, randomUUID(), agoSeconds],
  );
}

/** A cancellation as an order_cancelled handled while the charge was in flight leaves it: recorded, unanswered. */
export function cancellationUnanswered(db: DataSource, orderId: string): Promise<unknown> {
  return db.query(
    `INSERT INTO cancellations (order_id, reason, message_id, outcome, cancelled_at)
     VALUES ($1, 'PAYMENT_TIMEOUT', $2, NULL, now())`,
    [orderId, randomUUID()],
  );
}

/** A spy's runs of batches as one run per order of each batch, with that order's own outcome. */
function perOrder(batches: ReturnType<typeof timedSpy<PaymentsService, 'chargeOrders'>>): {
  spy: jest.SpyInstance;
  runs: TimedRun<[OrderCreatedMessage]>[];
} {
  return {
    spy: batches.spy,
    get runs() {
      return batches.runs.flatMap(({ args: [orders], startedAt, endedAt, value }) =>
        orders.map((order, position) => {
          const outcome = (value as ItemOutcome<void>[] | undefined)?.[position];
          return {
            args: [order] as [OrderCreatedMessage],
            startedAt,
            endedAt,
            ...(outcome?.status === 'rejected' ? { error: outcome.reason } : {}),
          };
        }),
      );
    },
  };
}

/** The real payment module, in-process, on real Postgres and RabbitMQ, in a schema and a vhost of its own. */
export function startPayment(
  label: string,
  settings: Record<string, string> = {},
  { proxyPublisher = false }: { proxyPublisher?: boolean } = {},
): Promise<PaymentTestApp> {
  return startInCorner(label, { vhost: true }, async (corner) => {
    const broker = await corner.openBroker({
      appId: 'order',
      tap: [ROUTING_KEYS.paymentResult, ROUTING_KEYS.paymentCancelled],
    });
    const env: Record<string, string> = {
      ...corner.env('payment'),
      PAYMENT_DB_POOL_SIZE: '5',
      MESSAGE_RETRY_DELAY_MS: '200',
      MESSAGE_RETRY_MAX_DELAY_MS: '1000',
      OUTBOX_POLL_INTERVAL_MS: '50',
      GATEWAY_LATENCY_MS: '5',
      ...settings,
    };
    const publisherProxy = proxyPublisher ? await corner.openProxy(TEST_AMQP_URL) : undefined;
    const config = new PaymentConfig({
      ...env,
      RABBITMQ_URL: publisherProxy?.url(env.RABBITMQ_URL) ?? env.RABBITMQ_URL,
    });
    const transport = paymentTransportOptions(new PaymentConfig(env));
    const service = await startServiceApp({
      module: PaymentModule,
      configType: PaymentConfig,
      config,
      transport,
    });
    corner.defer(() => service.close());

    // The handlers call these for every consumed message: the tests see each run, when and how it ended.
    const payments = service.app.get(PaymentsService);
    const handlers = {
      [ROUTING_KEYS.orderCreated]: perOrder(timedSpy(payments, 'chargeOrders')),
      [ROUTING_KEYS.orderCancelled]: timedSpy(payments, 'cancelOrder'),
    };
    corner.defer(() => Object.values(handlers).forEach(({ spy }) => spy.mockRestore()));

    // Consuming both queues before any test publishes.
    await eventually(
      async () => {
        for (const queue of Object.values(PAYMENT_QUEUES))
          if ((await broker.consumers(queue)) < 1) return false;
        return true;
      },
      { what: 'payment consuming its queues' },
    );

    const db = service.app.get(DataSource);
    return {
      ...service,
      db,
      config,
      corner,
      broker,
      publisherProxy,
      results: (orderId) => broker.tapped(ROUTING_KEYS.paymentResult, orderId),
      cancellations: (orderId) => broker.tapped(ROUTING_KEYS.paymentCancelled, orderId),
      runs: (routingKey, orderId) =>
        handlers[routingKey].runs.filter(({ args: [message] }) => message.orderId === orderId),
      gatewayCalls: async (orderId) => {
        const rows: Array<GatewayCall & { amount: string }> = await db.query(
          `SELECT kind, succeeded, reference, reason, amount FROM gateway_calls
             WHERE strpos(idempotency_key, $1) > 0 ORDER BY created_at`,
          [orderId],
        );
        return rows.map((row) => ({ ...row, amount: Number(row.amount) }));
      },
      close: () => corner.dispose(),
    };
  });
}
