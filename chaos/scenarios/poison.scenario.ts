import { ROUTING_KEYS } from '@boxoffice/contracts/routing-keys';
import { TestBroker } from '@boxoffice/testing/test-broker';
import type { Scenario } from '../scenario';

const ONE_MIB = 1 << 20;
/** Sent on each routing key; each consumer queue of that key must park them all. */
const POISON_PER_KEY = 4;

export const poison: Scenario = {
  name: 'poison',
  fault:
    'on every saga routing key: a body that is not JSON, one with wrong types, one of an unknown version, and 1 MiB of garbage',
  faultMs: 0,
  async inject(stack) {
    const broker = await TestBroker.open(stack.rabbitmq.url, { appId: 'chaos' });
    try {
      for (const routingKey of Object.values(ROUTING_KEYS)) {
        await broker.publishRaw(routingKey, '{"orderId": "poison-1", not json', {
          correlationId: 'poison-1',
        });
        await broker.publish(routingKey, { version: 1, orderId: 42, amount: 'lots' });
        await broker.publish(routingKey, {
          version: 2,
          orderId: 'poison-3',
          paymentId: 'poison-3',
          status: 'succeeded',
          reason: 'NONE',
          processedAt: new Date().toISOString(),
        });
        await broker.publishRaw(routingKey, Buffer.alloc(ONE_MIB, 'x'), { correlationId: 'poison-4' });
      }
    } finally {
      await broker.close();
    }
    return async () => undefined;
  },
  verify(snapshot) {
    const deadLetterQueues = snapshot.queues.filter((queue) => queue.deadLetterReasons);
    const keys = Object.values(ROUTING_KEYS).length;
    if (deadLetterQueues.length < keys) {
      const detail = `${deadLetterQueues.length} dead-letter queues for ${keys} routing keys`;
      return [{ code: 'POISON_NOT_PARKED', where: 'broker', detail }];
    }
    return deadLetterQueues.flatMap((queue) => {
      const reasons = queue.deadLetterReasons!;
      const parked =
        (reasons.oversized ?? 0) + (reasons['malformed-json'] ?? 0) + (reasons['invalid-payload'] ?? 0);
      if (parked >= POISON_PER_KEY) return [];
      const detail = `${parked} poison messages parked, ${POISON_PER_KEY} sent`;
      return [{ code: 'POISON_NOT_PARKED' as const, where: queue.name, detail }];
    });
  },
};
