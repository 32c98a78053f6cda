import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, INestApplication } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import { parseProbeMessage, startConsumerApp, type ProbeMessage } from '@boxoffice/testing/consumer-test-app';
import { eventually } from '@boxoffice/testing/eventually';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import { DEAD_LETTER_REASON_HEADER } from './message-headers';
import type { Delivery } from './message-consumer';
import { OnMessage } from './on-message.decorator';
import { subscription } from './subscription';
import { deadLetterQueueOf } from './topology';

const ROUTING_KEY = 'order_created';
const SETTLED = { timeoutMs: 15_000, intervalMs: 20 };

/** What each order's deliveries should answer on their first attempt. */
type Scripted = 'fail' | 'ok';

/** The batches the handler received (order ids and attempts), and the gate that holds them while the test wants. */
const batches: Array<Array<{ orderId: string; attempt: number }>> = [];
const script = new Map<string, Scripted>();
let gate: Promise<void> = Promise.resolve();
let throwWholeBatch = false;
/** When each batch's handler ended (performance.now()), and whether its signal was aborted by then. */
const ended: Array<{ at: number; aborted: boolean }> = [];

/** The gate, or the batch's abort, whichever comes first. */
function gateOrAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    void gate.then(resolve);
    signal.addEventListener('abort', () => resolve());
  });
}

@Controller()
class BatchListener {
  @OnMessage(ROUTING_KEY, { batch: true })
  async onOrders(@Payload() deliveries: Delivery<ProbeMessage>[]): Promise<ItemOutcome<void>[]> {
    batches.push(
      deliveries.map(({ payload, context }) => ({ orderId: payload.orderId, attempt: context.attempt })),
    );
    const { signal } = deliveries[0].context;
    await gateOrAbort(signal);
    ended.push({ at: performance.now(), aborted: signal.aborted });
    if (signal.aborted) throw new Error('cut short');
    if (throwWholeBatch && deliveries.every(({ context }) => context.attempt === 1)) {
      throw new Error('the batch transaction failed');
    }
    return deliveries.map(({ payload, context }) =>
      script.get(payload.orderId) === 'fail' && context.attempt === 1
        ? { status: 'rejected', reason: new Error(`order ${payload.orderId} refused`) }
        : { status: 'fulfilled', value: undefined },
    );
  }
}

describe('A consumer in batches (real RabbitMQ, own vhost)', () => {
  const queue = `batch.${ROUTING_KEY}`;
  let vhost: TestVhost;
  let broker: TestBroker;
  let app: INestApplication;

  beforeAll(async () => {
    vhost = await createTestVhost('batches');
    broker = await TestBroker.open(vhost.url);
    ({ app } = await startConsumerApp([BatchListener], {
      url: vhost.url,
      serviceName: 'batch',
      subscriptions: [subscription('batch', ROUTING_KEY, parseProbeMessage)],
      prefetch: 20,
      retryDelayMs: 50,
      retryMaxDelayMs: 50,
    }));
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  beforeEach(() => {
    batches.length = 0;
    script.clear();
    gate = Promise.resolve();
    throwWholeBatch = false;
    ended.length = 0;
  });

  const seen = (orderId: string) => batches.flat().filter((item) => item.orderId === orderId);
  const publishAll = (orderIds: string[]) =>
    Promise.all(orderIds.map((orderId) => broker.publish(ROUTING_KEY, { orderId })));
  const idle = () =>
    eventually(async () => (await broker.depth(queue)) === 0, { ...SETTLED, what: `${queue} drained` });

  it('given the batches in flight held, when more messages arrive, then a lone message went at once and the rest go together as the next batch', async () => {
    // given: the two batches that may be in flight at once, each of the lone message that started it
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const [first, second] = [randomUUID(), randomUUID()];
    await publishAll([first]);
    await eventually(() => batches.length === 1, { ...SETTLED, what: 'the first message, alone' });
    await publishAll([second]);
    await eventually(() => batches.length === 2, { ...SETTLED, what: 'the second message, alone' });

    // when: ten more arrive and are delivered while both are held
    const gathered = Array.from({ length: 10 }, () => randomUUID());
    await publishAll(gathered);
    await idle();
    expect(batches).toHaveLength(2);
    release();

    // then
    await eventually(() => batches.length === 3, { ...SETTLED, what: 'the gathered batch' });
    expect(batches[0].map(({ orderId }) => orderId)).toEqual([first]);
    expect(batches[1].map(({ orderId }) => orderId)).toEqual([second]);
    expect(batches[2].map(({ orderId }) => orderId).sort()).toEqual([...gathered].sort());
  });

  it('given a batch in which one message fails and one is not valid, when it is handled, then only the failed one is retried, the invalid one is dead-lettered alone, and the others are handled once', async () => {
    // given
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const holders = [randomUUID(), randomUUID()];
    await publishAll(holders);
    await eventually(() => batches.length === 2, { ...SETTLED, what: 'two batches held' });
    const [failing, ...fine] = Array.from({ length: 5 }, () => randomUUID());
    script.set(failing, 'fail');
    const poisonId = await broker.publish(ROUTING_KEY, { notAnOrder: true });

    // when
    await publishAll([failing, ...fine]);
    await idle();
    release();

    // then
    await eventually(() => seen(failing).length === 2, { ...SETTLED, what: 'the retry of the failed one' });
    expect(seen(failing).map(({ attempt }) => attempt)).toEqual([1, 2]);
    for (const orderId of [...fine, ...holders]) expect(seen(orderId)).toEqual([{ orderId, attempt: 1 }]);
    const [parked] = await eventually(
      async () => {
        const taken = await broker.take(deadLetterQueueOf(queue));
        return taken.length > 0 && taken;
      },
      { ...SETTLED, what: 'the invalid message parked' },
    );
    expect(parked.properties.messageId).toBe(poisonId);
    expect(parked.properties.headers?.[DEAD_LETTER_REASON_HEADER]).toBe('invalid-payload');
    await idle();
  });

  it('given a batch handler that throws, when it does, then every message of that batch is retried, each once', async () => {
    // given
    throwWholeBatch = true;
    const orderIds = [randomUUID()];

    // when
    await publishAll(orderIds);

    // then
    await eventually(() => seen(orderIds[0]).length === 2, { ...SETTLED, what: 'the retry' });
    expect(seen(orderIds[0]).map(({ attempt }) => attempt)).toEqual([1, 2]);
  });

  it('given two batches running and more deliveries gathering, when the app stops, then the running ones are aborted and ended before the stop resolves, and the gathered ones never run and go back to the queue', async () => {
    // given: a consumer of its own (on another queue) whose batches hang until aborted
    const { app: stopping } = await startConsumerApp([BatchListener], {
      url: vhost.url,
      serviceName: 'stopping',
      subscriptions: [subscription('stopping', ROUTING_KEY, parseProbeMessage)],
      prefetch: 20,
      retryDelayMs: 50,
      retryMaxDelayMs: 50,
      handlerTimeoutMs: 60_000,
      shutdownGraceMs: 400,
    });
    await app.close(); // the first consumer would take these messages too
    gate = new Promise(() => undefined);
    await publishAll([randomUUID()]);
    await eventually(() => batches.length === 1, { ...SETTLED, what: 'the first batch running' });
    await publishAll([randomUUID()]);
    await eventually(() => batches.length === 2, { ...SETTLED, what: 'the second batch running' });
    const gathered = Array.from({ length: 5 }, () => randomUUID());
    await publishAll(gathered);
    await eventually(async () => (await broker.depth('stopping.order_created')) === 0, {
      ...SETTLED,
      what: 'the rest delivered, gathering',
    });

    // when
    await stopping.close();
    const stoppedAt = performance.now();

    // then
    expect(ended).toHaveLength(2);
    for (const run of ended) {
      expect(run.aborted).toBe(true);
      expect(run.at).toBeLessThanOrEqual(stoppedAt);
    }
    expect(batches).toHaveLength(2);
    // the five never run, and the two cut short (retried through their retry queue), all back in the queue
    await eventually(async () => (await broker.depth('stopping.order_created')) === 7, {
      ...SETTLED,
      what: 'every message back in the queue',
    });
  });
});
