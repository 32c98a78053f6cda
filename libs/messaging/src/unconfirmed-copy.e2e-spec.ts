import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DomainError } from '@boxoffice/errors/domain-error';
import { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import { parseProbeMessage, startConsumerApp, type ProbeMessage } from '@boxoffice/testing/consumer-test-app';
import { eventually } from '@boxoffice/testing/eventually';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import { DeliveryCounts } from './delivery-counts';
import type { MessageContext } from './message-context';
import { subscription } from './subscription';
import { deadLetterQueueOf, retryQueueOf, retryQueuesOf } from './topology';

const SERVICE = 'unconfirmed';
const ROUTING_KEY = 'order_cancelled';
const SETTLED = { timeoutMs: 15_000, intervalMs: 25 };
const FULL_RETRY_QUEUES = 'full-retry-queues';

/** Every run of the handler: which attempt, and whether the broker handed the message back before. */
const runs: Array<{ orderId: string; attempt: number; redelivered: boolean; deliveryCount: unknown }> = [];

@Controller()
class CompensationListener {
  // A compensation whose dependency is down on its first attempt.
  @EventPattern(ROUTING_KEY)
  onCancelled(@Payload() payload: ProbeMessage, @Ctx() context: MessageContext): Promise<void> {
    runs.push({
      orderId: payload.orderId,
      attempt: context.attempt,
      redelivered: context.redelivered,
      deliveryCount: context.headers['x-delivery-count'],
    });
    return context.attempt === 1
      ? Promise.reject(new DomainError('UNAVAILABLE', 'payment processor down'))
      : Promise.resolve();
  }
}

describe('A retry copy the broker does not confirm (real RabbitMQ, own vhost)', () => {
  const cancelled = subscription(SERVICE, ROUTING_KEY, parseProbeMessage);
  let vhost: TestVhost;
  let app: INestApplication;
  let broker: TestBroker;
  let metrics: ServiceMetrics;

  beforeAll(async () => {
    vhost = await createTestVhost('unconfirmed');
    metrics = new ServiceMetrics({ enabled: true });
    ({ app } = await startConsumerApp([CompensationListener], {
      url: vhost.url,
      serviceName: SERVICE,
      subscriptions: [cancelled],
      maxAttempts: 3,
      retryDelayMs: 200,
      retryMaxDelayMs: 400,
      counts: new DeliveryCounts(metrics),
    }));
    broker = await TestBroker.open(vhost.url);
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  const unconfirmedCopies = async (): Promise<number> => {
    const metric = await metrics.registry.getSingleMetric('boxoffice_messages_copy_unconfirmed_total')?.get();
    return metric?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
  };

  /** The retry queues refuse every publish: one message sits in each (no expiry) and their max length is 0. */
  async function fillRetryQueues(): Promise<void> {
    for (const queue of retryQueuesOf(cancelled.queue, 2)) {
      await broker.publishRaw(queue, '{}', { exchange: '', messageId: `filler-${queue}` });
    }
    await vhost.management.request(
      'PUT',
      `/policies/${encodeURIComponent(vhost.name)}/${FULL_RETRY_QUEUES}`,
      {
        pattern: `^${cancelled.queue.replace(/\./g, '\\.')}\\.retry`,
        definition: { 'max-length': 0 },
        'apply-to': 'queues',
      },
    );
    // Until the broker applies the policy a probe may still get in; it waits behind the filler, purged later.
    await eventually(
      () =>
        broker.publishRaw(retryQueueOf(cancelled.queue), '{}', { exchange: '' }).then(
          () => false,
          () => true,
        ),
      { ...SETTLED, what: 'the retry queue refuses publishes' },
    );
  }

  /** Empties the retry queues (the next copy gets in), then lifts the limit. */
  async function relieveRetryQueues(): Promise<void> {
    await broker.take(retryQueueOf(cancelled.queue));
    await broker.take(retryQueueOf(cancelled.queue, 2));
    await vhost.management.request(
      'DELETE',
      `/policies/${encodeURIComponent(vhost.name)}/${FULL_RETRY_QUEUES}`,
    );
  }

  it('given full retry queues, when a compensation fails, then it is held unacked and its copy tried again, never handed back to its queue, and it is handled once the copy gets in', async () => {
    // given
    await fillRetryQueues();
    const orderId = randomUUID();

    // when
    await broker.publish(ROUTING_KEY, { orderId });

    // then its copy is refused again and again, and meanwhile the broker does not deliver it again
    const mine = () => runs.filter((run) => run.orderId === orderId);
    await eventually(async () => (await unconfirmedCopies()) >= 3 || mine().length > 1, {
      ...SETTLED,
      what: 'three copies refused (or the message requeued)',
    });
    expect(mine()).toEqual([{ orderId, attempt: 1, redelivered: false, deliveryCount: undefined }]);

    // when the retry queue has room again
    await relieveRetryQueues();

    // then the copy comes back as attempt 2 and is handled; nothing was redelivered nor parked
    await eventually(() => mine().some((run) => run.attempt === 2), { ...SETTLED, what: 'attempt 2' });
    expect(
      mine().map(({ attempt, redelivered, deliveryCount }) => ({ attempt, redelivered, deliveryCount })),
    ).toEqual([
      { attempt: 1, redelivered: false, deliveryCount: undefined },
      { attempt: 2, redelivered: false, deliveryCount: undefined },
    ]);
    await eventually(
      async () => {
        for (const queue of [cancelled.queue, ...retryQueuesOf(cancelled.queue, 2)]) {
          if ((await broker.depth(queue)) !== 0) return false;
        }
        return true;
      },
      { ...SETTLED, what: 'queues drained' },
    );
    expect(await broker.depth(deadLetterQueueOf(cancelled.queue))).toBe(0);
  });
});
