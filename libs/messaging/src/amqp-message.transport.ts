import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { AmqpConnection, type AmqpConnectionSettings } from './amqp-connection';
import type { ItemOutcome } from '@boxoffice/batching/natural-batch';
import type { DeliveryCounts } from './delivery-counts';
import { describeFailure } from './describe-failure';
import { MessageConsumer, type MessageRoute } from './message-consumer';
import type { MessageContext } from './message-context';
import { MESSAGING_DEFAULTS } from './messaging-defaults';
import type { Subscription } from './subscription';

export interface AmqpMessageTransportOptions extends AmqpConnectionSettings {
  /** Names the connection `<service>-consumer`. */
  serviceName: string;
  /** Each one needs an `@EventPattern(routingKey)` handler in the app, or boot fails. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- validators of any payload type
  subscriptions: readonly Subscription<any>[];
  prefetch?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** Left out: the default cap, or retryDelayMs if that is longer. */
  retryMaxDelayMs?: number;
  handlerTimeoutMs?: number;
  /** Failures retried without limit besides a dependency down (failure-class.ts decides; tests add their own). */
  isTransient?: (error: unknown) => boolean;
  /** How long a delivery whose copy the broker refuses is held unacked before it goes back to its queue. */
  forwardPatienceMs?: number;
  bootWaitMs?: number;
  shutdownGraceMs?: number;
  counts?: DeliveryCounts;
}

export type AmqpMessageTransportStatus = 'connected' | 'disconnected';

export const AMQP_MESSAGE_TRANSPORT = Symbol('AMQP_MESSAGE_TRANSPORT');

/**
 * Serves `@EventPattern(routingKey)` handlers from RabbitMQ queues, in place of Nest's RMQ transport
 * (which acks on receipt and publishes without confirms). A handler's Promise or Observable is
 * awaited to its end: the message is acked only if it completes, and retried or dead-lettered if
 * it fails. Use with `app.connectMicroservice({ strategy: new AmqpMessageTransport({...}) })`.
 */
export class AmqpMessageTransport
  extends Server<Record<string, never>, AmqpMessageTransportStatus>
  implements CustomTransportStrategy
{
  private readonly log = new Logger('AmqpMessageTransport');
  private readonly connection: AmqpConnection;
  /** Publishing and consuming on one connection would let a broker's flow control block the acks too. */
  private readonly forwardingConnection: AmqpConnection;
  private consumer?: MessageConsumer;
  private closing?: Promise<void>;

  constructor(private readonly options: AmqpMessageTransportOptions) {
    super();
    this.transportId = AMQP_MESSAGE_TRANSPORT;
    this.connection = new AmqpConnection({ ...options, name: `${options.serviceName}-consumer` });
    this.forwardingConnection = new AmqpConnection({ ...options, name: `${options.serviceName}-forwarder` });
  }

  override listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Once: a graceful shutdown stops the consumers before Nest's own close asks again. */
  override close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    await this.consumer?.stop(this.options.shutdownGraceMs ?? MESSAGING_DEFAULTS.shutdownGraceMs);
    await this.connection.close();
    await this.forwardingConnection.close();
    this._status$.next('disconnected');
  }

  /** The consumer's connection, for health checks. */
  override unwrap<T>(): T {
    return this.connection as T;
  }

  override on(): never {
    throw new Error(
      'AmqpMessageTransport emits no events; watch `status` or the unwrapped AmqpConnection instead',
    );
  }

  isConsuming(): boolean {
    return this.consumer?.isConsuming() ?? false;
  }

  private async start(): Promise<void> {
    const routes = this.options.subscriptions.map((subscription) => this.routeOf(subscription));
    const retryDelayMs = this.options.retryDelayMs ?? MESSAGING_DEFAULTS.retryDelayMs;
    this.consumer = new MessageConsumer(
      this.connection,
      this.forwardingConnection,
      routes,
      {
        prefetch: this.options.prefetch ?? MESSAGING_DEFAULTS.prefetch,
        maxAttempts: this.options.maxAttempts ?? MESSAGING_DEFAULTS.maxAttempts,
        retryDelayMs,
        retryMaxDelayMs:
          this.options.retryMaxDelayMs ?? Math.max(MESSAGING_DEFAULTS.retryMaxDelayMs, retryDelayMs),
        handlerTimeoutMs: this.options.handlerTimeoutMs ?? MESSAGING_DEFAULTS.handlerTimeoutMs,
        maxBytes: MESSAGING_DEFAULTS.maxConsumedBytes,
        forwardTimeoutMs: MESSAGING_DEFAULTS.publishTimeoutMs,
        forwardPatienceMs: this.options.forwardPatienceMs ?? MESSAGING_DEFAULTS.forwardPatienceMs,
        isTransient: this.options.isTransient,
        counts: this.options.counts,
      },
      {
        onConsuming: () => this._status$.next('connected'),
        onLost: () => this._status$.next('disconnected'),
      },
    );
    this.consumer.start();
    const bootWaitMs = this.options.bootWaitMs ?? MESSAGING_DEFAULTS.bootWaitMs;
    try {
      await this.consumer.whenConsuming(bootWaitMs);
    } catch (error) {
      // The service keeps serving HTTP; the consumers attach as soon as the broker is reachable.
      this.log.warn(`not consuming yet, carrying on without the broker: ${describeFailure(error)}`);
    }
  }

  private routeOf(subscription: Subscription<unknown>): MessageRoute {
    const handler = this.getHandlerByPattern(subscription.routingKey);
    if (!handler) {
      throw new Error(
        `no @EventPattern('${subscription.routingKey}') handler for queue ${subscription.queue}`,
      );
    }
    // Nest returns the method's value, possibly an Observable, or an Observable that errors when the method threw;
    // either way it ends only when the handler's work has ended.
    const call = async <R>(data: unknown, context?: MessageContext): Promise<R> => {
      const result: unknown = await handler(data, context);
      return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined }) as Promise<R>;
    };
    if (handler.extras?.batch === true) {
      return {
        subscription,
        handle: () => Promise.reject(new Error(`${subscription.queue} is handled in batches`)),
        handleBatch: (deliveries) => call<ItemOutcome<void>[]>(deliveries),
      };
    }
    return { subscription, handle: (payload, context) => call<void>(payload, context) };
  }
}
