import { Logger } from '@nestjs/common';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { NaturalBatch, type ItemOutcome } from '@boxoffice/batching/natural-batch';
import { inConsumerSpan } from '@boxoffice/tracing/spans';
import { withLogFields, type LogFields } from '@boxoffice/logging/log-context';
import type { AmqpConnection } from './amqp-connection';
import { describeFailure } from './describe-failure';
import type { DeliveryCounts } from './delivery-counts';
import { classifyFailure, HandlerAborted, PoisonMessage } from './failure-class';
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

/** One delivery of a batch: its validated payload and what the handler learns about it. */
export interface Delivery<T = unknown> {
  payload: T;
  context: MessageContext;
}

/**
 * Handles the deliveries that are ready together; answers each one's outcome, in their order. A rejected outcome
 * is that delivery's failure alone (retried or parked as a single handler's would be); a throw fails them all.
 */
export type BatchHandler<T = unknown> = (deliveries: Delivery<T>[]) => Promise<ItemOutcome<void>[]>;

export interface MessageRoute<T = unknown> {
  subscription: Subscription<T>;
  /** One delivery at a time; or, with `handleBatch`, never called. */
  handle: MessageHandler<T>;
  /** Deliveries in natural batches (libs/batching): what arrived while the previous batch ran, up to the prefetch. */
  handleBatch?: BatchHandler<T>;
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
  /**
   * How long after its delivery a message whose copy the broker keeps refusing is held unacked, its copy tried
   * again, before it is handed back to its queue (one count towards the delivery limit). Well under RabbitMQ's
   * 30-minute consumer timeout, which would close the channel under every delivery on it.
   */
  forwardPatienceMs: number;
  /** Failures besides a dependency down that mean "try later" (failure-class.ts): retried without limit. */
  isTransient?: (error: unknown) => boolean;
  /** Metrics of what became of each delivery. */
  counts?: DeliveryCounts;
}

const MAX_ERROR_HEADER_LENGTH = 1_000;
/** How long before the end of a stop's grace the handlers still running are aborted, to wind down. */
const ABORT_WAIT_MS = 1_000;
/** The shortest pause before a copy the broker did not confirm is tried again. */
const MIN_FORWARD_PAUSE_MS = 100;
/** Batches of one queue in flight at once: one can wait on a slow call while the next gathers and starts. */
const BATCHES_IN_FLIGHT = 2;

/** A delivery read and waiting for its batch. */
interface Arrival {
  message: ConsumeMessage;
  attempt: number;
  payload: unknown;
}

/** A batch that had not started when the consumer began to stop: its deliveries stay unacked, and go back. */
class NotStarted extends Error {}

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
  /** The signals of the handlers running now: aborted when they run out of time, or when the grace of a stop ends. */
  private readonly running = new Set<AbortController>();
  /** Aborted by stop(): wakes a delivery waiting to try its copy again, which then stays unacked. */
  private readonly stopped = new AbortController();
  private consumerTags: string[] = [];
  private stopping = false;
  /** Per queue whose route handles batches: the deliveries gathering for its next batch. */
  private readonly batches = new Map<string, NaturalBatch<Arrival, void>>();

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
    for (const route of routes) {
      const { handleBatch } = route;
      if (!handleBatch) continue;
      const batch = new NaturalBatch<Arrival, void>(
        (arrivals) => this.runBatch(route, handleBatch, arrivals),
        {
          maxSize: options.prefetch,
          concurrency: BATCHES_IN_FLIGHT,
        },
      );
      this.batches.set(route.subscription.queue, batch);
    }
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

  /**
   * Stops taking deliveries, lets running handlers finish, aborts those still running ABORT_WAIT_MS before the end
   * of `graceMs` (at half of it, for a shorter grace) and waits for them to end, then closes the channel: no
   * handler goes on after the stop, and the stop still takes no longer than `graceMs`.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    const channel = this.channel.current();
    if (channel) {
      await Promise.all(this.consumerTags.map((tag) => channel.cancel(tag).catch(() => undefined)));
    }
    const abortAtMs = Math.max(graceMs - ABORT_WAIT_MS, graceMs / 2);
    if (!(await settledWithin([...this.inFlight], abortAtMs))) {
      const stillRunning = this.running.size;
      for (const controller of this.running) controller.abort(new Error('the consumer is stopping'));
      if (!(await settledWithin([...this.inFlight], graceMs - abortAtMs))) {
        this.logger.error(`${stillRunning} handlers still running at shutdown, past their abort`);
      }
    }
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
          if (!this.stopping) {
            withLogFields(logFieldsOf(message), () => this.track(this.receive(channel, route, message)));
          }
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
    const deliveredAt = Date.now();
    const attempt = attemptOf(message.properties.headers);
    let payload: unknown;
    try {
      payload = this.read(route, message);
    } catch (error) {
      const reason = error instanceof PoisonMessage ? error.reason : 'invalid-payload';
      return this.deadLetter(channel, route, message, attempt, reason, error, deliveredAt);
    }
    try {
      const batch = this.batches.get(queue);
      if (batch) await batch.submit({ message, attempt, payload });
      else await this.run(route, message, attempt, payload);
    } catch (error) {
      if (error instanceof NotStarted) return;
      const failure = classifyFailure(error, this.options.isTransient);
      this.options.counts?.failed.inc({ queue, class: failure });
      const verdict = this.policy.afterFailure(attempt, failure === 'transient');
      if (!verdict.retry) {
        return this.deadLetter(channel, route, message, attempt, 'attempts-exhausted', error, deliveredAt);
      }
      this.logger.warn(
        `${queue} ${message.properties.messageId}: attempt ${attempt} failed (${failure}), retry in ${verdict.delayMs} ms: ${describeFailure(error)}`,
      );
      this.options.counts?.retried.inc({ queue });
      return this.forward(channel, message, queue, retryQueueOf(queue, verdict.tier), deliveredAt, {
        headers: {
          [ATTEMPT_HEADER]: verdict.nextAttempt,
          [LAST_ERROR_HEADER]: truncate(describeFailure(error)),
        },
        expiration: String(verdict.delayMs),
      });
    }
    this.options.counts?.handled.inc({ queue });
    ack(channel, message);
    this.logger.debug(`${queue}: handled (attempt ${attempt})`);
  }

  /** The payload, or a PoisonMessage: no attempt can handle this message. */
  private read(route: MessageRoute, message: ConsumeMessage): unknown {
    if (message.content.length > this.options.maxBytes) {
      throw new PoisonMessage(
        'oversized',
        `${message.content.length} bytes, over the limit of ${this.options.maxBytes}`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(message.content.toString('utf8'));
    } catch (error) {
      throw new PoisonMessage('malformed-json', describeFailure(error));
    }
    try {
      return route.subscription.validate(raw);
    } catch (error) {
      throw new PoisonMessage('invalid-payload', describeFailure(error));
    }
  }

  /** Runs the handler of one delivery, supervised (see `supervised`). */
  private run(
    route: MessageRoute,
    message: ConsumeMessage,
    attempt: number,
    payload: unknown,
  ): Promise<void> {
    return this.supervised(
      route,
      String(message.properties.messageId),
      message.properties.headers,
      (signal) => route.handle(payload, this.contextOf(route, message, attempt, signal)),
      {
        'messaging.message.id': message.properties.messageId,
        'messaging.message.conversation_id': message.properties.correlationId,
      },
    );
  }

  /**
   * Runs the batch handler on the deliveries gathered, supervised as one (its span continues the first one's trace).
   * Every delivery gets its own outcome; those a handler answered after its abort say only that it was cut short.
   */
  private async runBatch(
    route: MessageRoute,
    handleBatch: BatchHandler,
    arrivals: Arrival[],
  ): Promise<ItemOutcome<void>[]> {
    if (this.stopping) throw new NotStarted('the consumer is stopping');
    let aborted: AbortSignal | undefined;
    // Lines about a batch belong to no single message.
    const outcomes = await withLogFields({ messageId: undefined, correlationId: undefined }, () =>
      this.supervised(
        route,
        `batch of ${arrivals.length}`,
        arrivals[0].message.properties.headers,
        (signal) => {
          aborted = signal;
          return handleBatch(
            arrivals.map(({ message, attempt, payload }) => ({
              payload,
              context: this.contextOf(route, message, attempt, signal),
            })),
          );
        },
        { 'messaging.batch.message_count': arrivals.length },
      ),
    );
    if (!aborted?.aborted) return outcomes;
    const cutShort = new HandlerAborted(`aborted: ${describeFailure(aborted.reason)}`);
    return outcomes.map((outcome) =>
      outcome.status === 'rejected' ? { status: 'rejected', reason: cutShort } : outcome,
    );
  }

  /**
   * Runs a handler with a signal of its own. Past `handlerTimeoutMs` the signal is aborted and the handler's end
   * awaited (up to another `handlerTimeoutMs`) before its failure is settled: a retry never runs beside it.
   */
  private async supervised<T>(
    route: MessageRoute,
    what: string,
    headers: ConsumeMessage['properties']['headers'],
    handle: (signal: AbortSignal) => Promise<T>,
    attributes: NonNullable<Parameters<typeof inConsumerSpan>[3]>,
  ): Promise<T> {
    const controller = new AbortController();
    this.running.add(controller);
    const work = inConsumerSpan(
      `consume ${route.subscription.routingKey}`,
      headers,
      () => handle(controller.signal),
      {
        ...attributes,
        'messaging.destination.name': route.subscription.queue,
      },
    );
    try {
      return await withTimeout(work, this.options.handlerTimeoutMs);
    } catch (error) {
      if (error instanceof HandlerAborted) {
        controller.abort(error);
        if (!(await settledWithin([work], this.options.handlerTimeoutMs))) {
          this.logger.error(`${route.subscription.queue} ${what}: handler ignores its abort`);
        }
      }
      // Whatever a handler throws once aborted (an AbortError, a wrapped one) says only that it was cut short.
      if (controller.signal.aborted && !(error instanceof HandlerAborted)) {
        throw new HandlerAborted(`aborted: ${describeFailure(controller.signal.reason)}`);
      }
      throw error;
    } finally {
      this.running.delete(controller);
    }
  }

  private async deadLetter(
    channel: ConfirmChannel,
    route: MessageRoute,
    message: ConsumeMessage,
    attempt: number,
    reason: DeadLetterReason,
    error: unknown,
    deliveredAt: number,
  ): Promise<void> {
    const { queue } = route.subscription;
    this.options.counts?.deadLettered.inc({ queue, reason });
    this.logger.error(
      `${queue} ${message.properties.messageId}: dead-lettered (${reason}): ${describeFailure(error)}`,
    );
    await this.forward(channel, message, queue, deadLetterQueueOf(queue), deliveredAt, {
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
   * ack the original on the consumer's channel. A copy the broker does not confirm (an alarm, a full retry queue)
   * is tried again after a pause, doubling up to retryMaxDelayMs, the original held unacked meanwhile: a requeue
   * would count towards the queue's delivery limit (RabbitMQ before 4.3), and twenty of them park the message.
   * Only past `forwardPatienceMs` after its delivery is it handed back to its queue, before the broker's consumer
   * timeout closes the channel under every delivery. If the channel died, the broker has put it back already;
   * while stopping it stays unacked, and closing the channel puts it back.
   */
  private async forward(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    queue: string,
    target: string,
    deliveredAt: number,
    changes: { headers: Record<string, unknown>; expiration?: string },
  ): Promise<void> {
    const copy = {
      exchange: '',
      routingKey: target,
      content: message.content,
      properties: {
        ...carriedProperties(message),
        headers: { ...carriedHeaders(message), ...changes.headers },
        expiration: changes.expiration,
        persistent: true,
      } satisfies Options.Publish,
    };
    for (let pauseMs = Math.max(this.options.retryDelayMs, MIN_FORWARD_PAUSE_MS); ;) {
      try {
        const forwarding = await this.forwarding.whenOpen(this.options.forwardTimeoutMs);
        await publishWithConfirm(forwarding, copy, this.options.forwardTimeoutMs);
        ack(channel, message);
        return;
      } catch (error) {
        this.options.counts?.unconfirmed.inc({ queue });
        const what = `${queue} ${message.properties.messageId}: copy to ${target} not confirmed`;
        if (this.stopping || this.channel.current() !== channel) return;
        if (Date.now() + pauseMs > deliveredAt + this.options.forwardPatienceMs) {
          this.logger.error(
            `${what} for ${this.options.forwardPatienceMs} ms, handed back to ${queue}: ${describeFailure(error)}`,
          );
          nack(channel, message);
          return;
        }
        this.logger.error(`${what}, held and tried again in ${pauseMs} ms: ${describeFailure(error)}`);
      }
      await pause(pauseMs, this.stopped.signal);
      pauseMs = Math.min(pauseMs * 2, Math.max(this.options.retryMaxDelayMs, MIN_FORWARD_PAUSE_MS));
    }
  }

  private contextOf(
    route: MessageRoute,
    message: ConsumeMessage,
    attempt: number,
    signal: AbortSignal,
  ): MessageContext {
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
      signal,
    };
  }
}

/** Every line logged while a delivery is handled, by the consumer or its handler, says which message it is. */
function logFieldsOf({ properties }: ConsumeMessage): LogFields {
  return { messageId: properties.messageId, correlationId: properties.correlationId };
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

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerAborted(`handler still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** True when every promise settled within `ms`. */
async function settledWithin(work: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.allSettled(work).then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
