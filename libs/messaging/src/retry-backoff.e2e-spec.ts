import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { parseProbeMessage, startConsumerApp, type ProbeMessage } from '@boxoffice/testing/consumer-test-app';
import { eventually } from '@boxoffice/testing/eventually';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import type { MessageContext } from './message-context';
import { RETRY_JITTER } from './retry-policy';
import { subscription } from './subscription';
import { deadLetterQueueOf, retryQueueOf, retryQueuesOf } from './topology';

const SERVICE = 'backoff';
const ROUTING_KEY = 'order_created';
const MAX_ATTEMPTS = 2;
/** 300 ms doubling to a 1200 ms cap: three tiers (300, 600, 1200), far enough apart to tell on a busy machine. */
const BASE_MS = 300;
const CAP_MS = 1_200;
const STEADY_WAITS = [300, 600, 1_200, 1_200];
/**
 * What a wait may take beyond its delay (the copy's publish, confirm, expiry and redelivery). The cap's bound,
 * 1200 + 700 ms, stays below the shortest wait a further doubling would give (2400 ms less the jitter: 1920).
 */
const SLACK_MS = 700;
const SETTLED = { timeoutMs: 15_000, intervalMs: 20 };

class DependencyDown extends Error {}

/** When each order's handler ran, and how many of its first attempts fail as if a dependency were down. */
const runs = new Map<string, Array<{ attempt: number; at: number }>>();
const failuresWanted = new Map<string, number>();

@Controller()
class BackoffListener {
  @EventPattern(ROUTING_KEY)
  onProbe(@Payload() payload: ProbeMessage, @Ctx() context: MessageContext): Promise<void> {
    const seen = runs.get(payload.orderId) ?? [];
    seen.push({ attempt: context.attempt, at: performance.now() });
    runs.set(payload.orderId, seen);
    return context.attempt <= (failuresWanted.get(payload.orderId) ?? 0)
      ? Promise.reject(new DependencyDown(`dependency down, attempt ${context.attempt}`))
      : Promise.resolve();
  }
}

describe('Retry backoff (real RabbitMQ, own vhost)', () => {
  const probe = subscription(SERVICE, ROUTING_KEY, parseProbeMessage);
  let vhost: TestVhost;
  let app: INestApplication;
  let broker: TestBroker;

  beforeAll(async () => {
    vhost = await createTestVhost('backoff');
    ({ app } = await startConsumerApp([BackoffListener], {
      url: vhost.url,
      serviceName: SERVICE,
      subscriptions: [probe],
      maxAttempts: MAX_ATTEMPTS,
      retryDelayMs: BASE_MS,
      retryMaxDelayMs: CAP_MS,
      isTransient: (error) => error instanceof DependencyDown,
    }));
    broker = await TestBroker.open(vhost.url);
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  it('declares one retry queue per tier, each dead-lettering back to the consumer queue, and none beyond', async () => {
    // given the app has booted (beforeAll)
    const tiers = retryQueuesOf(probe.queue, 3);

    // then
    expect(tiers).toEqual([`${probe.queue}.retry`, `${probe.queue}.retry.2`, `${probe.queue}.retry.3`]);
    for (const name of tiers) {
      expect(await vhost.management.queue(vhost.name, name)).toMatchObject({
        durable: true,
        type: 'quorum',
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': probe.queue },
      });
    }
    expect(await vhost.management.queue(vhost.name, retryQueueOf(probe.queue, 4))).toBeUndefined();
  });

  it('given a dependency down for four attempts, when the message keeps failing, then the waits double up to the cap, past MESSAGE_MAX_ATTEMPTS, and it is finally handled', async () => {
    // given
    const orderId = randomUUID();
    failuresWanted.set(orderId, STEADY_WAITS.length);

    // when
    await broker.publish(ROUTING_KEY, { orderId });

    // then the copy waits in the cap's tier on its way (third and fourth retry)
    await eventually(async () => (await broker.depth(retryQueueOf(probe.queue, 3))) === 1, {
      ...SETTLED,
      what: 'copy waiting in the third tier',
    });
    const handled = await eventually(
      () => (runs.get(orderId)?.length === STEADY_WAITS.length + 1 ? runs.get(orderId) : false),
      { ...SETTLED, what: 'handled on the fifth attempt' },
    );
    expect(handled.map((run) => run.attempt)).toEqual([1, 2, 3, 4, 5]);
    const waits = handled.slice(1).map((run, index) => run.at - handled[index].at);
    // Each wait is at least its delay less the jitter (240, 480, 960, 960 ms), and not much more.
    waits.forEach((wait, index) => {
      expect(wait).toBeGreaterThanOrEqual(STEADY_WAITS[index] * (1 - RETRY_JITTER) - 5);
      expect(wait).toBeLessThan(STEADY_WAITS[index] + SLACK_MS);
    });
    await eventually(
      async () => {
        for (const queue of [probe.queue, ...retryQueuesOf(probe.queue, 3), deadLetterQueueOf(probe.queue)]) {
          if ((await broker.depth(queue)) !== 0) return false;
        }
        return true;
      },
      { ...SETTLED, what: 'every queue empty, nothing dead-lettered' },
    );
  });
});
