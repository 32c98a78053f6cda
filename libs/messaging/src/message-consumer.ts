import { Logger } from '@nestjs/common';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { inConsumerSpan } from '@boxoffice/tracing/spans';
import type { AmqpConnection } from './amqp-connection';
import { describeFailure } from './describe-failure';
import type { DeliveryCounts } from './delivery-counts';
import type { MessageContext } from './message-context';
import {
  ATTEMPT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTERED_AT_HEADER,
  ERROR_HEADER,
  isBrokerHeader,
  LAST_ERROR_HEADER,
  ORIGINAL_QUEUE_HEADER,
  type DeadLetterReason,
} from './message-headers';
import { publishWithConfirm } from './publish-with-confirm';
import { RecoveringChannel } from './recovering-channel';
import { attemptOf, RetryPolicy } from './retry-policy';
import type { Subscription } from './subscription';
import { deadLetterQueueOf, declareSubscription, retryQueueOf } from './topology';

export type MessageHandler<T = unknown> = (payload: T, context: MessageContext) => Promise<void>;

export interface MessageRoute<T = unknown> {
  subscription: Subscription<T>;
  handle: MessageHandler<T>;
}

export interface MessageConsumerOptions {
  prefetch: number;
  maxAttempts: number;
  /** The first retry's wait; it doubles after each further failure, up to `retryMaxDelayMs`. */
  retryDelayMs: number;
  retryMaxDelayMs: number;
  handlerTimeoutMs: number;
  /** A larger message is dead-lettered before it is parsed. */
  maxBytes: number;
  /** Longest wait for the broker to confirm a retry or dead-letter copy. */
  forwardTimeoutMs: number;
  /** Failures that mean "try later" (a dependency is down): retried past maxAttempts, never dead-lettered. */
  isTransient?: (error: unknown) => boolean;
  /** Metrics of what became of each delivery. */
  counts?: DeliveryCounts;
}

const MAX_ERROR_HEADER_LENGTH = 1_000;

/**
 * Consumes the subscriptions' queues with manual acks. A delivery is acked only after its handler
 * resolved, or after a copy of it is safely (confirmed) in a retry queue or the DLQ. It is never
 * nacked back to the head of its queue at once, so a failing handler cannot spin.
 */
export class MessageConsumer {
  private readonly logger = new Logger('MessageConsumer');
  private readonly channel: RecoveringChannel;
  private readonly policy: RetryPolicy;
  private readonly inFlight = new Set<Promise<void>>();
  private consumerTags: string[] = [];
  private stopping = false;

  /** Retry and dead-letter copies go out here: a publishing connection RabbitMQ may block without stopping acks. */
  private readonly forwarding: RecoveringChannel;

  constructor(
    connection: AmqpConnection,
    forwardingConnection: AmqpConnection,
    private readonly routes: readonly MessageRoute[],
    private readonly options: MessageConsumerOptions,
    hooks: { onConsuming?: () => void; onLost?: () => void } = {},
  ) {
    this.policy = new RetryPolicy({
      maxAttempts: options.maxAttempts,
      delayMs: options.retryDelayMs,
      maxDelayMs: options.retryMaxDelayMs,
    });
    this.forwarding = new RecoveringChannel(forwardingConnection, 'forwarder', {
      setup: async () => undefined,
    });
    this.channel = new RecoveringChannel(connection, 'consumer', {
      setup: (channel) => this.setup(channel),
      onOpen: hooks.onConsuming,
      onLost: hooks.onLost,
    });
  }

  start(): void {
    this.forwarding.start();
    this.channel.start();
  }

  isConsuming(): boolean {
    return this.channel.current() !== undefined;
  }

  /** Resolves once topology is declared and every queue has a consumer. */
  async whenConsuming(timeoutMs: number): Promise<void> {
    await this.channel.whenOpen(timeoutMs);
  }

  /** Stops taking deliveries, lets running handlers finish (up to `graceMs`), then closes the channel. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const channel = this.channel.current();
    if (channel) {
      await Promise.all(this.consumerTags.map((tag) => channel.cancel(tag).catch(() => undefined)));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    // Whatever is still unacked goes back to its queue when the channel closes.
    await this.channel.close();
    await this.forwarding.close();
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    for (const { subscription } of this.routes) {
      await declareSubscription(channel, subscription, this.policy.tierCount);
    }
    await channel.prefetch(this.options.prefetch);
    const tags: string[] = [];
    for (const route of this.routes) {
      const { consumerTag } = await channel.consume(
        route.subscription.queue,
        (message) => {
          if (message === null) {
            // The broker cancelled us (queue deleted, for instance): a new channel declares and consumes again.
            void channel.close().catch(() => undefined);
            return;
          }
          // While stopping, a delivery is left unacked: closing the channel hands it back to the queue.
          if (!this.stopping) this.track(this.receive(channel, route, message));
        },
        { noAck: false },
      );
      tags.push(consumerTag);
    }
    this.consumerTags = tags;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) =>
      this.logger.error(`delivery not settled: ${describeFailure(error)}`),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async receive(
    channel: ConfirmChannel,
    route: MessageRoute,
    message: ConsumeMessage,
  ): Promise<void> {
    const { queue } = route.subscription;
    const attempt = attemptOf(message.properties.headers);
    if (message.content.length > this.options.maxBytes) {
      const error = new Error(`${message.content.length} bytes, over the limit of ${this.options.maxBytes}`);
      return this.deadLetter(channel, route, message, attempt, 'oversized', error);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(message.content.toString('utf8'));
    } catch (error) {
      return this.deadLetter(channel, route, message, attempt, 'malformed-json', error);
    }
    let payload: unknown;
    try {
      payload = route.subscription.validate(raw);
    } catch (error) {
      return this.deadLetter(channel, route, message, attempt, 'invalid-payload', error);
    }
    try {
      await withTimeout(
        inConsumerSpan(
          `consume ${route.subscription.routingKey}`,
          message.properties.headers,
          () => route.handle(payload, this.contextOf(route, message, attempt)),
          {
            'messaging.message.id': message.properties.messageId,
            'messaging.message.conversation_id': message.properties.correlationId,
            'messaging.destination.name': queue,
          },
        ),
        this.options.handlerTimeoutMs,
      );
    } catch (error) {
      // A handler that ran out of time met a slow dependency, not a bad message: it is tried again, never parked.
      const transient = error instanceof HandlerTimeout || (this.options.isTransient?.(error) ?? false);
      const verdict = this.policy.afterFailure(attempt, transient);
      if (!verdict.retry) {
        return this.deadLetter(channel, route, message, attempt, 'attempts-exhausted', error);
      }
      this.logger.warn(
        `${queue} ${message.properties.messageId}: attempt ${attempt} failed, retry in ${verdict.delayMs} ms: ${describeFailure(error)}`,
      );
      this.options.counts?.retried.inc({ queue });
      return this.forward(channel, message, queue, retryQueueOf(queue, verdict.tier), {
        headers: {
          [ATTEMPT_HEADER]: verdict.nextAttempt,
          [LAST_ERROR_HEADER]: truncate(describeFailure(error)),
        },
        expiration: String(verdict.delayMs),
      });
    }
    this.options.counts?.handled.inc({ queue });
    ack(channel, message);
  }

  private async deadLetter(
    channel: ConfirmChannel,
    route: MessageRoute,
    message: ConsumeMessage,
    attempt: number,
    reason: DeadLetterReason,
    error: unknown,
  ): Promise<void> {
    const { queue } = route.subscription;
    this.options.counts?.deadLettered.inc({ queue, reason });
    this.logger.error(
      `${queue} ${message.properties.messageId}: dead-lettered (${reason}): ${describeFailure(error)}`,
    );
    await this.forward(channel, message, queue, deadLetterQueueOf(queue), {
      headers: {
        [ATTEMPT_HEADER]: attempt,
        [DEAD_LETTER_REASON_HEADER]: reason,
        [ERROR_HEADER]: truncate(describeFailure(error)),
        [ORIGINAL_QUEUE_HEADER]: queue,
        [DEAD_LETTERED_AT_HEADER]: new Date().toISOString(),
      },
    });
  }

  /**
   * Moves the delivery to another queue: publish a copy (on the forwarding connection), wait for its confirm, then
   * ack the original on the consumer's channel.
   * If the copy is not confirmed the original stays unacked for a retry delay and then goes back to
   * its queue; if the channel died meanwhile, the broker has put it back already.
   */
  private async forward(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    queue: string,
    target: string,
    changes: { headers: Record<string, unknown>; expiration?: string },
  ): Promise<void> {
    const properties: Options.Publish = {
      ...carriedProperties(message),
      headers: { ...carriedHeaders(message), ...changes.headers },
      expiration: changes.expiration,
      persistent: true,
    };
    try {
      await publishWithConfirm(
        await this.forwarding.whenOpen(this.options.forwardTimeoutMs),
        { exchange: '', routingKey: target, content: message.content, properties },
        this.options.forwardTimeoutMs,
      );
    } catch (error) {
      this.logger.error(
        `${queue} ${message.properties.messageId}: cannot move to ${target}: ${describeFailure(error)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      nack(channel, message);
      return;
    }
    ack(channel, message);
  }

  private contextOf(route: MessageRoute, message: ConsumeMessage, attempt: number): MessageContext {
    const { messageId, correlationId, timestamp, appId, headers } = message.properties;
    return {
      queue: route.subscription.queue,
      routingKey: route.subscription.routingKey,
      messageId: messageId === undefined ? undefined : String(messageId),
      correlationId: correlationId === undefined ? undefined : String(correlationId),
      attempt,
      redelivered: message.fields.redelivered,
      publishedAt: typeof timestamp === 'number' ? new Date(timestamp * 1000) : undefined,
      publishedBy: appId === undefined ? undefined : String(appId),
      headers: headers ?? {},
    };
  }
}

/**
 * The original's identity travels with every copy. Left out on purpose: `expiration` (a copy in
 * the DLQ must not expire), `userId` (the broker rejects one that differs from the connection's
 * user) and the delivery mode (copies are always persistent).
 */
function carriedProperties(message: ConsumeMessage): Options.Publish {
  const { contentType, contentEncoding, messageId, correlationId, type, timestamp, appId, priority } =
    message.properties;
  return { contentType, contentEncoding, messageId, correlationId, type, timestamp, appId, priority };
}

function carriedHeaders(message: ConsumeMessage): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(message.properties.headers ?? {}).filter(([name]) => !isBrokerHeader(name)),
  );
}

// A delivery can only be settled on the channel it came on; if that channel is gone the broker has
// requeued the message already, and settling would fail or, worse, hit another delivery's tag.
function ack(channel: ConfirmChannel, message: ConsumeMessage): void {
  try {
    channel.ack(message);
  } catch {
    // channel closed: the message will be delivered again
  }
}

function nack(channel: ConfirmChannel, message: ConsumeMessage): void {
  try {
    channel.nack(message, false, true);
  } catch {
    // channel closed: the message will be delivered again
  }
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_HEADER_LENGTH ? `${text.slice(0, MAX_ERROR_HEADER_LENGTH)}…` : text;
}

class HandlerTimeout extends Error {}

function withTimeout(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeout(`handler still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
