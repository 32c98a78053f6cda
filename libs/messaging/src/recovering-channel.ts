import { Logger } from '@nestjs/common';
import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from './amqp-connection';
import { describeFailure } from './describe-failure';

export interface RecoveringChannelOptions {
  /** Runs on every fresh channel before anyone may use it: declare topology, start consumers. */
  setup: (channel: ConfirmChannel) => Promise<void>;
  onOpen?: (channel: ConfirmChannel) => void;
  onLost?: () => void;
}

interface Waiter {
  resolve: (channel: ConfirmChannel) => void;
  reject: (error: Error) => void;
}

const REOPEN_INITIAL_DELAY_MS = 200;
const REOPEN_MAX_DELAY_MS = 10_000;

/**
 * A confirm channel that exists whenever it can: opened and set up again on every new connection,
 * and re-opened (with backoff) when the broker closes only the channel, for instance after a
 * declaration that does not match what exists. Nothing is buffered: callers either get a ready
 * channel or, past their deadline, an error.
 */
export class RecoveringChannel {
  private readonly logger: Logger;
  private readonly label: string;
  private readonly waiters = new Set<Waiter>();
  private channel?: ConfirmChannel;
  private reopenTimer?: NodeJS.Timeout;
  private failures = 0;
  private opening = false;
  private started = false;
  private closed = false;
  private stopListening?: () => void;

  constructor(
    private readonly connection: AmqpConnection,
    role: string,
    private readonly options: RecoveringChannelOptions,
  ) {
    this.label = `${connection.name} ${role}`;
    this.logger = new Logger(`amqp ${this.label}`);
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.stopListening = this.connection.onConnect(() => void this.open());
    this.connection.start();
  }

  /** The channel, if it is open and set up right now. */
  current(): ConfirmChannel | undefined {
    return this.channel;
  }

  /** The ready channel, waiting for it at most `timeoutMs`. */
  whenOpen(timeoutMs: number): Promise<ConfirmChannel> {
    if (this.channel) return Promise.resolve(this.channel);
    if (this.closed) return Promise.reject(new Error(`${this.label}: closed`));
    this.start();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.label}: broker unavailable, no channel within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (channel) => {
          clearTimeout(timer);
          resolve(channel);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening?.();
    clearTimeout(this.reopenTimer);
    for (const waiter of this.waiters) waiter.reject(new Error(`${this.label}: closed`));
    this.waiters.clear();
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const model = this.connection.current();
    if (this.closed || this.opening || this.channel || !model) return;
    this.opening = true;
    let channel: ConfirmChannel | undefined;
    let channelClosed = false;
    try {
      channel = await model.createConfirmChannel();
      const opened = channel;
      opened.on('error', (error: Error) => this.logger.warn(`channel error: ${error.message}`));
      opened.on('close', () => {
        channelClosed = true;
        this.onClosed(opened);
      });
      await this.options.setup(opened);
      if (channelClosed) return;
      if (this.closed) {
        await opened.close().catch(() => undefined);
        return;
      }
      this.channel = opened;
      this.failures = 0;
      this.options.onOpen?.(opened);
      for (const waiter of this.waiters) waiter.resolve(opened);
      this.waiters.clear();
    } catch (error) {
      if (this.connection.current() !== model) return; // the connection went away; its successor opens a new channel
      this.logger.error(`channel setup failed: ${describeFailure(error)}`);
      // Closing lets the 'close' listener schedule the next try; without a channel, schedule it here.
      if (channel && !channelClosed) await channel.close().catch(() => undefined);
      else if (!channel) this.scheduleReopen();
    } finally {
      this.opening = false;
    }
  }

  private onClosed(channel: ConfirmChannel): void {
    if (this.channel === channel) {
      this.channel = undefined;
      this.options.onLost?.();
    }
    if (!this.closed) this.scheduleReopen();
  }

  /**
   * Reopens a channel that died on a live connection. After a connection loss the new connection's
   * own open usually wins; the timer then finds a channel and does nothing.
   */
  private scheduleReopen(): void {
    if (this.reopenTimer) return;
    const delay = Math.min(REOPEN_MAX_DELAY_MS, REOPEN_INITIAL_DELAY_MS * 2 ** this.failures);
    this.failures += 1;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      void this.open();
    }, delay);
    this.reopenTimer.unref();
  }
}
