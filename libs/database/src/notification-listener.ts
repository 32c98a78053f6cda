import { Logger } from '@nestjs/common';
import { Client, type ClientConfig } from 'pg';

export interface NotificationListenerOptions {
  /** The server to listen on; a connection of the listener's own is opened with it, never one of a pool's. */
  connection: ClientConfig;
  channel: string;
  /** Called on every notification on the channel. */
  onNotification: () => void;
  /** Called each time listening (re)starts: what was notified while it was down was missed. */
  onListening: () => void;
  /** Upper bound of the wait between reconnections, which doubles from 100 ms. */
  maxBackoffMs: number;
  /**
   * While listening, the connection is checked this often (a `SELECT 1` on it); one not answered within as long is
   * taken for a lost connection: a peer gone silent (a dead host, a dropped route) says nothing of its own.
   */
  heartbeatMs: number;
}

const FIRST_BACKOFF_MS = 100;
// A LISTEN connection sends nothing while idle: without keepalives a dead peer is noticed only by the next query.
const KEEPALIVE_AFTER_MS = 10_000;

/**
 * LISTENs on one Postgres channel on a connection of its own, and reconnects with backoff when that connection
 * drops or stops answering its heartbeat. What is notified while it is down is lost: whoever relies on it keeps
 * another way to learn of it (a poll).
 */
export class NotificationListener {
  private readonly logger: Logger;
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private listening = false;

  constructor(private readonly options: NotificationListenerOptions) {
    this.logger = new Logger(`listener ${options.channel}`);
  }

  start(): void {
    if (!this.client && !this.timer && !this.stopped) void this.listen();
  }

  /** Whether notifications arrive now (false while connecting, after a drop, once stopped). */
  isListening(): boolean {
    return this.listening;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    clearTimeout(this.timer);
    clearTimeout(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    this.timer = undefined;
    const client = new Client({
      connectionTimeoutMillis: 3000,
      ...this.options.connection,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_AFTER_MS,
      // The heartbeat's bound, and the LISTEN's: a statement this cheap that long unanswered is a connection lost.
      query_timeout: this.options.heartbeatMs,
    });
    this.client = client;
    client.on('notification', ({ channel }) => {
      if (channel === this.options.channel) this.options.onNotification();
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.options.channel.replaceAll('"', '""')}"`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client) return; // stopped, or lost, meanwhile
    if (this.failures) this.logger.log(`listening again after ${this.failures} failed attempts`);
    this.failures = 0;
    this.listening = true;
    this.beat(client);
    this.options.onListening();
  }

  private beat(client: Client): void {
    this.heartbeat = setTimeout(() => void this.check(client), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private async check(client: Client): Promise<void> {
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.lost(client, new Error(`heartbeat: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    if (this.client === client && !this.stopped) this.beat(client);
  }

  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    clearTimeout(this.heartbeat);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = Math.min(this.options.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** this.failures);
    this.failures++;
    this.logger.warn(
      `not listening (attempt ${this.failures}), again in ${delay} ms: ${error instanceof Error ? error.message : String(error)}`,
    );
    this.timer = setTimeout(() => void this.listen(), delay);
    this.timer.unref();
  }
}
