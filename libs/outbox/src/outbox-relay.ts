import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';

/** What the relay needs from the broker side: publish all, with confirms, or reject. */
export interface ConfirmedPublisher {
  publishBatch(messages: OutgoingMessage[]): Promise<void>;
}

export interface OutboxRelayOptions {
  batchSize: number;
  /** How often to look for pending rows when nobody calls `wake()`. */
  pollIntervalMs: number;
  /** Upper bound of the backoff while the broker or the database is down. */
  maxBackoffMs: number;
  /** Sent rows are kept this long (to inspect, and for re-sending by id), then deleted. */
  retentionMs: number;
}

const CLEANUP_EVERY_MS = 60_000;

interface PendingRow {
  id: string;
  message_id: string;
  routing_key: string;
  correlation_id: string;
  payload: object;
}

/**
 * Publishes outbox rows with publisher confirms and marks them sent. Rows are claimed with SKIP LOCKED, so any
 * number of instances can relay side by side; a row is marked sent only after the broker confirmed it.
 */
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('outbox-relay');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private stopped = false;
  private cleanedAt = 0;

  constructor(
    private readonly db: DataSource,
    private readonly publisher: ConfirmedPublisher,
    private readonly options: OutboxRelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  // Stops before the modules close their database pools (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Relays now rather than at the next poll: called right after a transaction added to the outbox. */
  wake(): void {
    if (this.running) this.again = true;
    else if (!this.stopped && this.failures === 0) this.schedule(0);
  }

  /** Publishes up to one batch; returns how many rows were sent. */
  async relayBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: PendingRow[] = await tx.query(
        `SELECT id, message_id, routing_key, correlation_id, payload FROM outbox
         WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (!rows.length) return 0;
      await this.publisher.publishBatch(rows.map(toMessage));
      await tx.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1)', [rows.map((row) => row.id)]);
      return rows.length;
    });
  }

  /** Rows still waiting for the broker. */
  async pending(): Promise<number> {
    const [{ count }] = await this.db.query(
      'SELECT count(*)::int AS count FROM outbox WHERE sent_at IS NULL',
    );
    return count;
  }

  private async deleteOldSentRows(): Promise<void> {
    this.cleanedAt = Date.now();
    await this.db.query(`DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)`, [
      this.options.retentionMs / 1000,
    ]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.drain().finally(() => (this.running = undefined));
    }, delayMs);
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        while ((await this.relayBatch()) === this.options.batchSize && !this.stopped);
      } while (this.again && !this.stopped);
      if (this.failures) this.logger.log(`relaying again after ${this.failures} failed attempts`);
      this.failures = 0;
      if (Date.now() - this.cleanedAt > CLEANUP_EVERY_MS) await this.deleteOldSentRows();
    } catch (error) {
      this.failures++;
      this.logger.warn(
        `relay failed (attempt ${this.failures}), rows stay pending: ${(error as Error).message}`,
      );
    }
    if (this.stopped) return;
    const backoff = Math.min(this.options.pollIntervalMs * 2 ** this.failures, this.options.maxBackoffMs);
    this.schedule(this.failures ? backoff : this.options.pollIntervalMs);
  }
}

function toMessage(row: PendingRow): OutgoingMessage {
  return {
    routingKey: row.routing_key,
    messageId: row.message_id,
    correlationId: row.correlation_id,
    payload: row.payload,
  };
}
