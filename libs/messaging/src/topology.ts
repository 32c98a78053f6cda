import type { Channel } from 'amqplib';
import type { Subscription } from './subscription';

/** The one durable topic exchange every message is published to (its name is in the contract, docs/contract.md §5). */
export const BOXOFFICE_EXCHANGE = 'boxoffice.events';

/**
 * Redeliveries a consumer queue allows before the broker itself moves a message to the DLQ. Our
 * retry path acks every delivery it handles, so only a message that never gets acked (a handler
 * that kills the process, a consumer that keeps losing its connection) reaches this limit.
 */
export const DELIVERY_LIMIT = 20;

/**
 * The retry queue of a tier (RetryPolicy): `<queue>.retry` for the first retry, as before tiers existed, so
 * that queues declared then stay in use; `<queue>.retry.<n>` for the n-th retry's longer wait.
 */
export function retryQueueOf(queue: string, tier = 1): string {
  return tier <= 1 ? `${queue}.retry` : `${queue}.retry.${tier}`;
}

export function retryQueuesOf(queue: string, tierCount: number): string[] {
  return Array.from({ length: Math.max(tierCount, 1) }, (_, index) => retryQueueOf(queue, index + 1));
}

export function deadLetterQueueOf(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * Arguments of the queues of a subscription (every retry tier has the same). A queue's arguments cannot
 * change once it exists, so nothing here depends on settings: the retry delay is a per-message expiration,
 * not a queue TTL, and dead-lettering targets the default exchange with a fixed queue name.
 * At-least-once dead-lettering (quorum queues, RabbitMQ 3.10+) needs `x-overflow: reject-publish`.
 */
export function queueArguments(
  queue: string,
): Record<'main' | 'retry' | 'deadLetter', Record<string, unknown>> {
  const atLeastOnce = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };
  return {
    main: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueueOf(queue),
      ...atLeastOnce,
    },
    // Expired copies go back to the main queue by name, never through the topic exchange, which
    // would hand them to every other service bound to the same routing key as well.
    retry: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
      ...atLeastOnce,
    },
    deadLetter: { 'x-queue-type': 'quorum' },
  };
}

export async function declareExchange(channel: Channel): Promise<void> {
  await channel.assertExchange(BOXOFFICE_EXCHANGE, 'topic', { durable: true });
}

/**
 * Idempotent: runs on every (re)connection; a mismatch with what exists closes the channel (406). The
 * settings decide only how many retry tiers there are; a tier no longer used keeps expiring into the queue.
 */
export async function declareSubscription(
  channel: Channel,
  subscription: Subscription,
  retryTiers: number,
): Promise<void> {
  const { queue, routingKey } = subscription;
  const args = queueArguments(queue);
  await declareExchange(channel);
  // Dead-letter targets first, so no queue ever points at one that does not exist yet.
  await channel.assertQueue(deadLetterQueueOf(queue), { durable: true, arguments: args.deadLetter });
  await channel.assertQueue(queue, { durable: true, arguments: args.main });
  for (const retryQueue of retryQueuesOf(queue, retryTiers)) {
    await channel.assertQueue(retryQueue, { durable: true, arguments: args.retry });
  }
  await channel.bindQueue(queue, BOXOFFICE_EXCHANGE, routingKey);
}
