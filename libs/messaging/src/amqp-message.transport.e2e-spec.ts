import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { defer, Observable } from 'rxjs';
import { parseProbeMessage, type ProbeMessage } from '@boxoffice/testing/consumer-test-app';
import { eventually } from '@boxoffice/testing/eventually';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { AmqpMessageTransport } from './amqp-message.transport';
import type { MessageContext } from './message-context';
import { MessageFailureFilter } from './message-failure.filter';
import { MessagePublisher } from './message-publisher';
import { MESSAGING_DEFAULTS } from './messaging-defaults';
import {
  ATTEMPT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  ERROR_HEADER,
  ORIGINAL_QUEUE_HEADER,
} from './message-headers';
import { subscription } from './subscription';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import { deadLetterQueueOf, BOXOFFICE_EXCHANGE, retryQueuesOf } from './topology';

const SERVICE = 'probe';
const ORDER_CREATED = 'order_created';
const PAYMENT_RESULT = 'payment_result';
const MAX_ATTEMPTS = 3;
/** 200 ms doubling to 800 ms: three retry tiers. */
const RETRY_TIERS = 3;
const SETTLED = { timeoutMs: 10_000, intervalMs: 25 };

/** Waits for `probe` to find something (anything but false or undefined) and returns it. */
async function found<T>(probe: () => Promise<T | false | undefined>, what: string): Promise<T> {
  return (await eventually(probe, { ...SETTLED, what })) as T;
}

/** What the handlers saw, and what each order's handler should do on each attempt. */
const deliveries: Array<{ routingKey: string; payload: ProbeMessage; context: MessageContext }> = [];
const failuresWanted = new Map<string, number>();

async function behave(routingKey: string, payload: ProbeMessage, context: MessageContext): Promise<void> {
  deliveries.push({ routingKey, payload, context });
  const failures = failuresWanted.get(payload.orderId) ?? 0;
  if (context.attempt <= failures) {
    throw new Error(`scripted failure ${context.attempt} of ${payload.orderId}`);
  }
}

@Controller()
class ProbeListener {
  @EventPattern(ORDER_CREATED)
  async onOrderCreated(@Payload() payload: ProbeMessage, @Ctx() context: MessageContext): Promise<void> {
    await behave(ORDER_CREATED, payload, context);
  }

  // Returns an Observable, as Nest handlers may: the transport must wait for it and see its errors.
  @EventPattern(PAYMENT_RESULT)
  onPaymentResult(@Payload() payload: ProbeMessage, @Ctx() context: MessageContext): Observable<void> {
    return defer(() => behave(PAYMENT_RESULT, payload, context));
  }
}

describe('AmqpMessageTransport (real RabbitMQ, own vhost)', () => {
  const orderCreated = subscription(SERVICE, ORDER_CREATED, parseProbeMessage);
  const paymentResult = subscription(SERVICE, PAYMENT_RESULT, parseProbeMessage);
  let vhost: TestVhost;
  let app: INestApplication;
  let transport: AmqpMessageTransport;
  let publisher: MessagePublisher;
  let broker: TestBroker;

  beforeAll(async () => {
    vhost = await createTestVhost('messaging');
    const moduleRef = await Test.createTestingModule({
      controllers: [ProbeListener],
      providers: [
        {
          provide: MessagePublisher,
          useFactory: () =>
            new MessagePublisher({ url: vhost.url, serviceName: SERVICE, publishTimeoutMs: 3_000 }),
        },
      ],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    transport = new AmqpMessageTransport({
      url: vhost.url,
      serviceName: SERVICE,
      subscriptions: [orderCreated, paymentResult],
      prefetch: 10,
      maxAttempts: MAX_ATTEMPTS,
      retryDelayMs: 200,
      retryMaxDelayMs: 800,
      reconnectInitialDelayMs: 100,
      reconnectMaxDelayMs: 1_000,
    });
    // Deferred, so that the filter is in place before Nest wires the handlers.
    app
      .connectMicroservice({ strategy: transport }, { deferInitialization: true })
      .useGlobalFilters(new MessageFailureFilter());
    await app.startAllMicroservices();
    await app.init();
    publisher = app.get(MessagePublisher);
    broker = await TestBroker.open(vhost.url);
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  beforeEach(() => {
    deliveries.length = 0;
  });

  const handled = (orderId: string) => deliveries.filter((delivery) => delivery.payload.orderId === orderId);
  const depth = (queue: string) => broker.depth(queue);
  const allDrained = async (queue: string) => {
    for (const name of [queue, ...retryQueuesOf(queue, RETRY_TIERS)]) {
      if ((await depth(name)) !== 0) return false;
    }
    return true;
  };

  /** Takes what is in the DLQ and returns the messages dead-lettered so far with these ids. */
  async function deadLettersOf(queue: string, messageIds: string[]) {
    const deadLettered = await broker.take(deadLetterQueueOf(queue));
    return deadLettered.filter((message) => messageIds.includes(message.properties.messageId));
  }

  function publish(routingKey: string, payload: unknown, messageId: string = randomUUID()): Promise<void> {
    return publisher.publish(routingKey, payload, {
      messageId,
      correlationId: String((payload as ProbeMessage).orderId),
    });
  }

  it('declares at boot the topic exchange and, per subscription, a quorum queue, its retry queues and its DLQ', async () => {
    // given the app has booted (beforeAll)
    // then
    expect(await vhost.management.exchange(vhost.name, BOXOFFICE_EXCHANGE)).toMatchObject({
      type: 'topic',
      durable: true,
    });
    for (const { queue } of [orderCreated, paymentResult]) {
      const retryQueues = retryQueuesOf(queue, RETRY_TIERS);
      for (const name of [queue, ...retryQueues, deadLetterQueueOf(queue)]) {
        const declared = await vhost.management.queue(vhost.name, name);
        expect(declared).toMatchObject({
          durable: true,
          type: 'quorum',
          arguments: { 'x-queue-type': 'quorum' },
        });
      }
      for (const name of retryQueues) {
        expect(await vhost.management.queue(vhost.name, name)).toMatchObject({
          arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
        });
      }
    }
    const bindings = await vhost.management.bindingsFrom(vhost.name, BOXOFFICE_EXCHANGE);
    expect(bindings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ destination: 'probe.order_created', routing_key: ORDER_CREATED }),
        expect.objectContaining({ destination: 'probe.payment_result', routing_key: PAYMENT_RESULT }),
      ]),
    );
  });

  it('delivers a published message once, persistent and with the contract §5 properties', async () => {
    // given a tap on the exchange that shows the message as the broker stores it
    await broker.tap(ORDER_CREATED);
    const orderId = randomUUID();
    const messageId = `order_created:${orderId}`;

    // when
    await publish(ORDER_CREATED, { orderId }, messageId);

    // then
    const stored = await broker.nextTapped(ORDER_CREATED, orderId, SETTLED.timeoutMs);
    expect(stored.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId,
      correlationId: orderId,
      type: ORDER_CREATED,
      appId: SERVICE,
    });
    expect(Math.abs(stored.properties.timestamp - Date.now() / 1000)).toBeLessThan(10);
    expect(JSON.parse(stored.content.toString())).toEqual({ orderId });
    await eventually(() => handled(orderId).length === 1, { ...SETTLED, what: 'handled' });
    await eventually(() => allDrained(orderCreated.queue), { ...SETTLED, what: 'queue drained' });
    expect(handled(orderId)).toHaveLength(1);
    expect(handled(orderId)[0].context).toMatchObject({
      queue: orderCreated.queue,
      messageId,
      correlationId: orderId,
      attempt: 1,
      publishedBy: SERVICE,
    });
  });

  it('retries a failing handler after a delay, with an increasing attempt, until it succeeds', async () => {
    // given a handler that fails on its first two attempts
    const orderId = randomUUID();
    failuresWanted.set(orderId, 2);

    // when
    await publish(ORDER_CREATED, { orderId });

    // then
    await eventually(() => handled(orderId).length === 3, { ...SETTLED, what: 'third attempt' });
    await eventually(() => allDrained(orderCreated.queue), { ...SETTLED, what: 'queue drained' });
    expect(handled(orderId).map((delivery) => delivery.context.attempt)).toEqual([1, 2, 3]);
    expect(await deadLettersOf(orderCreated.queue, [handled(orderId)[0].context.messageId!])).toEqual([]);
    expect(await depth(deadLetterQueueOf(orderCreated.queue))).toBe(0);
  });

  it('publishes retry copies on a forwarding connection of its own, never on the consumer connection', async () => {
    // given a handler that fails once
    const orderId = randomUUID();
    failuresWanted.set(orderId, 1);

    // when
    await publish(ORDER_CREATED, { orderId });
    await eventually(() => handled(orderId).length === 2, { ...SETTLED, what: 'second attempt' });

    // then (the management API's counts lag a few seconds)
    type ChannelStats = { connection_details?: { name?: string }; message_stats?: { publish?: number } };
    const published = await eventually(
      async () => {
        const channels = (await vhost.management.request<ChannelStats[]>(
          'GET',
          `/vhosts/${encodeURIComponent(vhost.name)}/channels`,
        ))!;
        const connections = (await vhost.management.request<
          Array<{ name: string; user_provided_name?: string }>
        >('GET', `/vhosts/${encodeURIComponent(vhost.name)}/connections`))!;
        const given = new Map(connections.map((c) => [c.name, c.user_provided_name ?? c.name]));
        const byConnection = new Map<string, number>();
        for (const channel of channels) {
          const name = String(given.get(channel.connection_details?.name ?? '') ?? '');
          byConnection.set(name, (byConnection.get(name) ?? 0) + (channel.message_stats?.publish ?? 0));
        }
        const forwarder = [...byConnection].find(([name]) => name.includes(`${SERVICE}-forwarder`));
        return forwarder && forwarder[1] > 0 && byConnection;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'a publish on the forwarding connection' },
    );
    const consumer = [...published].filter(([name]) => name.includes(`${SERVICE}-consumer`));
    expect(consumer.every(([, count]) => count === 0)).toBe(true);
  });

  it('awaits an Observable handler and retries when it errors', async () => {
    // given an Observable-returning handler that errors on its first attempt
    const orderId = randomUUID();
    failuresWanted.set(orderId, 1);

    // when
    await publish(PAYMENT_RESULT, { orderId });

    // then
    await eventually(() => handled(orderId).length === 2, { ...SETTLED, what: 'second attempt' });
    await eventually(() => allDrained(paymentResult.queue), { ...SETTLED, what: 'queue drained' });
    expect(handled(orderId).map((delivery) => delivery.context.attempt)).toEqual([1, 2]);
  });

  it('moves a message whose handler always fails to the DLQ after max attempts, saying why', async () => {
    // given a handler that never succeeds
    const orderId = randomUUID();
    const messageId = randomUUID();
    failuresWanted.set(orderId, Number.POSITIVE_INFINITY);

    // when
    await publish(ORDER_CREATED, { orderId }, messageId);

    // then
    const [dead] = await found(async () => {
      const messages = await deadLettersOf(orderCreated.queue, [messageId]);
      return messages.length === 1 && messages;
    }, 'dead-lettered');
    expect(handled(orderId).map((delivery) => delivery.context.attempt)).toEqual([1, 2, 3]);
    expect(dead.properties.headers).toMatchObject({
      [DEAD_LETTER_REASON_HEADER]: 'attempts-exhausted',
      [ERROR_HEADER]: `scripted failure ${MAX_ATTEMPTS} of ${orderId}`,
      [ORIGINAL_QUEUE_HEADER]: orderCreated.queue,
      [ATTEMPT_HEADER]: MAX_ATTEMPTS,
    });
    expect(dead.properties).toMatchObject({
      deliveryMode: 2,
      messageId,
      correlationId: orderId,
      type: ORDER_CREATED,
    });
    expect(JSON.parse(dead.content.toString())).toEqual({ orderId });
    await eventually(() => allDrained(orderCreated.queue), { ...SETTLED, what: 'queue drained' });
  });

  it('sends malformed JSON, invalid payloads and oversized messages straight to the DLQ and keeps consuming', async () => {
    // given a body that is not JSON, a JSON body the validator refuses, and a valid one over the size limit
    const malformedId = randomUUID();
    const invalidId = randomUUID();
    const oversizedId = randomUUID();
    const oversizedOrder = randomUUID();
    const good = randomUUID();
    await broker.publishRaw(ORDER_CREATED, '{"orderId": ', { messageId: malformedId });
    await publish(ORDER_CREATED, { orderId: 42 }, invalidId);
    await broker.publishRaw(
      ORDER_CREATED,
      JSON.stringify({ orderId: oversizedOrder, padding: 'x'.repeat(MESSAGING_DEFAULTS.maxConsumedBytes) }),
      { messageId: oversizedId },
    );

    // when a good message follows
    await publish(ORDER_CREATED, { orderId: good });

    // then
    await eventually(() => handled(good).length === 1, { ...SETTLED, what: 'good message handled' });
    const dead = await found(async () => {
      const messages = await deadLettersOf(orderCreated.queue, [malformedId, invalidId, oversizedId]);
      return messages.length === 3 && messages;
    }, 'all three dead-lettered');
    const reasonOf = (id: string) =>
      dead.find((message) => message.properties.messageId === id)?.properties.headers?.[
        DEAD_LETTER_REASON_HEADER
      ];
    expect(reasonOf(malformedId)).toBe('malformed-json');
    expect(reasonOf(invalidId)).toBe('invalid-payload');
    expect(reasonOf(oversizedId)).toBe('oversized');
    expect(handled(oversizedOrder)).toEqual([]);
    expect(
      dead.find((message) => message.properties.messageId === invalidId)?.properties.headers,
    ).toMatchObject({
      [ERROR_HEADER]: 'orderId must be a string',
      [ORIGINAL_QUEUE_HEADER]: orderCreated.queue,
      [ATTEMPT_HEADER]: 1,
    });
    expect(deliveries.map((delivery) => delivery.context.messageId)).not.toEqual(
      expect.arrayContaining([malformedId]),
    );
    expect(deliveries.map((delivery) => delivery.context.messageId)).not.toEqual(
      expect.arrayContaining([invalidId]),
    );
  });

  it('reconnects after the broker closes its connections, and consumes what is published afterwards', async () => {
    // given both connections, as the broker lists them
    const [consumer, publishing] = await found(async () => {
      const connections = [
        ...(await vhost.management.connectionsNamed(vhost.name, 'probe-consumer')),
        ...(await vhost.management.connectionsNamed(vhost.name, 'probe-publisher')),
      ];
      return connections.length === 2 && connections;
    }, 'connections listed');

    // when the broker closes them
    await vhost.management.closeConnection(consumer.name);
    await vhost.management.closeConnection(publishing.name);
    const orderId = randomUUID();
    await publish(ORDER_CREATED, { orderId });

    // then
    await eventually(() => handled(orderId).length === 1, { ...SETTLED, what: 'handled after reconnect' });
    await eventually(() => allDrained(orderCreated.queue), { ...SETTLED, what: 'queue drained' });
    expect(transport.isConsuming()).toBe(true);
  });

  it('declares a deleted consumer queue again and resumes consuming it', async () => {
    // given the operator deletes the queue under the consumer
    await vhost.management.deleteQueue(vhost.name, orderCreated.queue);

    // when the queue is back and bound again
    await eventually(
      async () =>
        (await vhost.management.bindingsFrom(vhost.name, BOXOFFICE_EXCHANGE)).some(
          (binding) => binding.destination === orderCreated.queue,
        ),
      { ...SETTLED, what: 'queue redeclared and bound' },
    );
    const orderId = randomUUID();
    await publish(ORDER_CREATED, { orderId });

    // then
    await eventually(() => handled(orderId).length === 1, {
      ...SETTLED,
      what: 'handled after redeclaration',
    });
  });

  it('refuses to boot when a subscription has no @EventPattern handler', async () => {
    // given a transport subscribed to a message nobody handles
    const moduleRef = await Test.createTestingModule({ controllers: [ProbeListener] }).compile();
    const orphanApp = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    orphanApp.connectMicroservice({
      strategy: new AmqpMessageTransport({
        url: vhost.url,
        serviceName: 'orphan',
        subscriptions: [subscription('orphan', 'nobody_handles', parseProbeMessage)],
      }),
    });

    // when / then
    await expect(orphanApp.startAllMicroservices()).rejects.toThrow(
      "no @EventPattern('nobody_handles') handler",
    );
    await orphanApp.close();
  });

  it('boots without a reachable broker, and is simply not consuming yet', async () => {
    // given a transport pointed at a port where no broker listens
    const moduleRef = await Test.createTestingModule({ controllers: [ProbeListener] }).compile();
    const strandedApp = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    const stranded = new AmqpMessageTransport({
      url: 'amqp://guest:guest@127.0.0.1:1',
      serviceName: 'stranded',
      subscriptions: [orderCreated],
      bootWaitMs: 300,
    });
    strandedApp.connectMicroservice({ strategy: stranded });
    const startedAt = Date.now();

    // when
    await strandedApp.startAllMicroservices();

    // then
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(stranded.isConsuming()).toBe(false);
    await strandedApp.close();
  });

  it('keeps retrying a declaration the broker refuses, and consumes once the conflict is gone', async () => {
    // given a queue that already exists with other arguments (classic, not quorum)
    const clash = subscription('clash', ORDER_CREATED, parseProbeMessage);
    await broker.declareQueue(clash.queue, { durable: true });
    const moduleRef = await Test.createTestingModule({ controllers: [ProbeListener] }).compile();
    const clashApp = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    const clashing = new AmqpMessageTransport({
      url: vhost.url,
      serviceName: 'clash',
      subscriptions: [clash],
      bootWaitMs: 300,
    });
    clashApp.connectMicroservice({ strategy: clashing });
    await clashApp.startAllMicroservices();
    expect(clashing.isConsuming()).toBe(false);

    // when the operator removes the conflicting queue
    await vhost.management.deleteQueue(vhost.name, clash.queue);

    // then the next attempt declares it as a quorum queue and consumes
    await eventually(() => clashing.isConsuming(), { ...SETTLED, what: 'consuming after the conflict' });
    expect(await vhost.management.queue(vhost.name, clash.queue)).toMatchObject({ type: 'quorum' });
    await clashApp.close();
  });
});
