import { Logger } from '@nestjs/common';
import { connect, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { describeFailure } from './describe-failure';
import { MESSAGING_DEFAULTS } from './messaging-defaults';

export interface AmqpConnectionSettings {
  /** amqp://user:password@host:port/vhost (the vhost percent-encoded). */
  url: string;
  heartbeatSeconds?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

export interface AmqpConnectionOptions extends AmqpConnectionSettings {
  /** Shown by the broker as the connection's client-provided name, so operators (and tests) can find it. */
  name: string;
}

type ConnectListener = (model: ChannelModel) => void;

/**
 * One AMQP connection that reconnects by itself, with capped exponential backoff and jitter
 * (amqplib's own recovery). Channels are not recovered here: whoever needs one subscribes with
 * `onConnect` and opens it again on each new connection.
 */
export class AmqpConnection {
  private readonly logger: Logger;
  private readonly listeners = new Set<ConnectListener>();
  private recovering?: RecoveringChannelModel;
  private model?: ChannelModel;
  private started = false;
  private closed = false;

  constructor(private readonly options: AmqpConnectionOptions) {
    this.logger = new Logger(`amqp ${options.name}`);
  }

  get name(): string {
    return this.options.name;
  }

  /** Starts connecting in the background; never throws, never waits for the broker. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    connect(this.urlWithHeartbeat(), {
      clientProperties: { connection_name: this.options.name },
      timeout: 5_000,
      recovery: {
        initialDelay: this.options.reconnectInitialDelayMs ?? MESSAGING_DEFAULTS.reconnectInitialDelayMs,
        maxDelay: this.options.reconnectMaxDelayMs ?? MESSAGING_DEFAULTS.reconnectMaxDelayMs,
        waitForConnect: false,
        // A connection gets our listeners only once it is bound; until then (or if it is closed before), an
        // 'error' on it (a reset, a heartbeat timeout) would be unhandled and end the process.
        setup: (model: ChannelModel) => void model.on('error', () => undefined),
      },
    }).then(
      (recovering) => this.watch(recovering),
      (error: unknown) => this.logger.error(`cannot start connecting: ${describeFailure(error)}`),
    );
  }

  /** The live connection, if there is one right now. */
  current(): ChannelModel | undefined {
    return this.model;
  }

  isConnected(): boolean {
    return this.model !== undefined;
  }

  /** Called with every new connection, and at once if there is one already. */
  onConnect(listener: ConnectListener): () => void {
    this.listeners.add(listener);
    if (this.model) listener(this.model);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.model = undefined;
    await this.recovering
      ?.close()
      .catch((error: unknown) => this.logger.warn(`close: ${describeFailure(error)}`));
  }

  private watch(recovering: RecoveringChannelModel): void {
    this.recovering = recovering;
    // Every emitter gets an 'error' listener: an unhandled 'error' event would end the process.
    recovering.on('error', (error: Error) => this.logger.warn(`connection error: ${error.message}`));
    recovering.on('connect-failed', (error: Error) => this.logger.warn(`cannot connect: ${error.message}`));
    recovering.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
      this.logger.debug(`reconnect attempt ${attempt} in ${delay} ms`),
    );
    recovering.on('reconnect-failed', (error: Error) =>
      this.logger.error(`gave up reconnecting: ${error.message}`),
    );
    recovering.on('blocked', (reason: string) => this.logger.warn(`blocked by the broker: ${reason}`));
    recovering.on('unblocked', () => this.logger.log('unblocked by the broker'));
    recovering.on('disconnect', (error: Error) => {
      this.model = undefined;
      this.logger.warn(`disconnected: ${error.message}`);
    });
    recovering.on('connect', (model: ChannelModel) => {
      if (this.closed) return;
      this.model = model;
      this.logger.log('connected');
      for (const listener of [...this.listeners]) {
        try {
          listener(model);
        } catch (error) {
          this.logger.error(`connect listener failed: ${describeFailure(error)}`);
        }
      }
    });
    if (this.closed) void recovering.close().catch(() => undefined);
  }

  private urlWithHeartbeat(): string {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat')) {
      url.searchParams.set(
        'heartbeat',
        String(this.options.heartbeatSeconds ?? MESSAGING_DEFAULTS.heartbeatSeconds),
      );
    }
    return url.toString();
  }
}
