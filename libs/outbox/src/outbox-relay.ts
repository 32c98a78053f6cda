import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { NotificationListener } from '@boxoffice/database/notification-listener';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import type { PublishResult } from '@boxoffice/messaging/publish-result';
import {
  recordOutcomes,
  type BatchOutcome,
  type ClaimedRow,
  type FailedRow,
  type RowBackoff,
} from './record-outcomes';
import { outboxChannel } from './outbox-channel';
import { relayInProcess } from './in-process-relays';

/**
 * Sent rows past the retention ($1 seconds). Each service's outbox has the partial index `outbox_sent (sent_at)
 * WHERE sent_at IS NOT NULL` for it (its migration `outbox-sent-index`): without it every cleanup reads the table.
 */
export const RETENTION_DELETE = 'DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)';

/** What the relay needs from the broker side: publish with confirms, and say how each message ended. */
export interface ConfirmedPublisher {
  publishEach(messages: OutgoingMessage[]): Promise<PublishResult[]>;
}

export interface OutboxRelayOptions {
  batchSize: number;
  /** How often to look for pending rows when no commit wakes the relay; also a refused row's first wait. */
  pollIntervalMs: number;
  /** Upper bound of the backoff while the broker or the database is down; how long an unroutable row waits. */
  maxBackoffMs: number;
  /** Sent rows are kept this long (to inspect, and for re-sending by id), then deleted. */
  retentionMs: number;
  /** Refusals of one row (nacked, not encodable) before it is parked: never claimed again, and logged. */
  maxAttempts: number;
  /** Upper bound of a refused row's own backoff, which doubles from `pollIntervalMs`. */
  maxRowBackoffMs: number;
  /**
   * Whether a commit that adds rows NOTIFYs the relays of every instance, and each relay LISTENs for it. Off, only
   * the writing process's own relay is woken at once; the others find the rows at their next poll.
   */
  notify: boolean;
}

const CLEANUP_EVERY_MS = 60_000;
// A LISTEN connection gone silent is noticed within two of these (unanswered heartbeat), not at the next drop.
const LISTENER_HEARTBEAT_MS = 10_000;

/**
 * Publishes outbox rows with publisher confirms and marks them sent. Rows are claimed with SKIP LOCKED, so any
 * number of instances can relay side by side; a row is marked sent only after the broker confirmed it. A row the
 * broker refuses waits its own backoff, so the rows behind it go on, and is parked after `maxAttempts` refusals;
 * a broker that cannot answer at all is nobody's row's fault: the relay as a whole backs off.
 * A commit that adds rows wakes it: in the process, the commit of a transaction on its pool (in-process-relays.ts),
 * across instances a NOTIFY on the outbox's channel (outbox-channel.ts; unless `notify` is off); the poll finds what
 * either missed.
 */
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('outbox-relay');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private started = false;
  private stopped = false;
  private cleanedAt = 0;
  private readonly listener?: NotificationListener;
  private readonly forget: () => void;

  constructor(
    private readonly db: DataSource,
    private readonly publisher: ConfirmedPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.forget = relayInProcess(db, { notifies: options.notify, wake: () => this.wake() });
    if (!options.notify) return;
    const { url, schema = 'public' } = db.options as { url?: string; schema?: string };
    this.listener = new NotificationListener({
      // Named after its schema, so that an operator (or a test) finds one service's listener among the others'.
      connection: { connectionString: url, application_name: `outbox-relay ${schema}` },
      channel: outboxChannel(schema),
      onNotification: () => this.wake(),
      onListening: () => this.wake(),
      maxBackoffMs: options.maxBackoffMs,
      heartbeatMs: LISTENER_HEARTBEAT_MS,
    });
  }

  onApplicationBootstrap(): void {
    this.started = true;
    this.schedule(0);
    this.listener?.start();
  }

  // Stops before the modules close their database pools (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.forget();
    clearTimeout(this.timer);
    await Promise.all([this.listener?.stop(), this.running]);
  }

  /**
   * Relays now rather than at the next poll: a transaction added to the outbox. Wakes while a batch is in flight
   * make one more drain after it, however many they are. Before the app has started, the start will relay.
   */
  wake(): void {
    if (this.running) this.again = true;
    else if (this.started && !this.stopped && this.failures === 0) this.schedule(0);
  }

  /**
   * Publishes up to one batch of due rows and records how each ended; returns how many rows it claimed. Rejects,
   * after recording the others, when the broker could not say for some: the relay then backs off.
   */
  async relayBatch(): Promise<number> {
    const { claimed, outcome } = await this.db.transaction(async (tx) => {
      // statement_timestamp(), not now(): a row committed after this transaction began is due at once too.
      const rows: ClaimedRow[] = await tx.query(
        `SELECT id, message_id, routing_key, correlation_id, payload, trace_context FROM outbox
         WHERE sent_at IS NULL AND parked_at IS NULL AND next_attempt_at <= statement_timestamp()
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (!rows.length) return { claimed: 0 };
      const results = await this.publisher.publishEach(rows.map(toMessage));
      return { claimed: rows.length, outcome: await recordOutcomes(tx, rows, results, this.rowBackoff()) };
    });
    if (outcome) this.report(outcome);
    if (outcome?.unconfirmed.length) {
      const [first] = outcome.unconfirmed;
      throw new Error(
        `${outcome.unconfirmed.length} of ${claimed} messages not confirmed (first: ${first.error})`,
      );
    }
    return claimed;
  }

  /** Whether the relay LISTENs at all (`notify` on), now or once connected. */
  listens(): boolean {
    return this.listener !== undefined;
  }

  /** Whether commits of other instances wake the relay now (never with `notify` off); else its poll finds their rows. */
  listening(): boolean {
    return this.listener?.isListening() ?? false;
  }

  /** Rows still waiting for the broker; parked rows wait for an operator, not for the relay. */
  async pending(): Promise<number> {
    return (await this.backlog()).rows;
  }

  /** The pending rows and the age of the oldest, on the database's clock (0 when none), in one statement. */
  async backlog(): Promise<{ rows: number; oldestSeconds: number }> {
    const [backlog] = await this.db.query(
      `SELECT count(*)::int AS rows,
              coalesce(extract(epoch FROM statement_timestamp() - min(created_at)), 0)::float8 AS "oldestSeconds"
       FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL`,
    );
    return backlog;
  }

  private rowBackoff(): RowBackoff {
    const { pollIntervalMs, maxRowBackoffMs, maxAttempts, maxBackoffMs } = this.options;
    return {
      firstDelayMs: pollIntervalMs,
      maxDelayMs: maxRowBackoffMs,
      maxAttempts,
      unroutableDelayMs: maxBackoffMs,
    };
  }

  private report({ refused, unroutable }: BatchOutcome): void {
    for (const row of refused.filter((failed) => failed.parked)) {
      this.logger.error(
        `parked outbox row ${row.id}: message ${row.messageId} (${row.routingKey}) refused ${row.attempts} times, ` +
          `never tried again until requeued; last: ${row.error}`,
      );
    }
    const waiting = refused.filter((failed) => !failed.parked);
    if (waiting.length) {
      const first = waiting[0];
      this.logger.warn(
        `${waiting.length} outbox rows refused, each tried again after its own backoff (first: ${describe(first)}, ` +
          `attempt ${first.attempts} of ${this.options.maxAttempts}: ${first.error})`,
      );
    }
    if (unroutable.length) {
      this.logger.warn(
        `${unroutable.length} outbox rows unroutable, tried again in ${this.options.maxBackoffMs} ms ` +
          `(first: ${describe(unroutable[0])}: ${unroutable[0].error})`,
      );
    }
  }

  private async deleteOldSentRows(): Promise<void> {
    this.cleanedAt = Date.now();
    await this.db.query(RETENTION_DELETE, [this.options.retentionMs / 1000]);
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
    // A wake during the cleanup came after the last batch: it is not left to the poll.
    this.schedule(this.failures ? backoff : this.again ? 0 : this.options.pollIntervalMs);
  }
}

function describe(row: FailedRow): string {
  return `row ${row.id}, message ${row.messageId} (${row.routingKey})`;
}

function toMessage(row: ClaimedRow): OutgoingMessage {
  return {
    routingKey: row.routing_key,
    messageId: row.message_id,
    correlationId: row.correlation_id,
    payload: row.payload,
    // No stored context (written with tracing off): a trace of its own, not that of whichever request woke the relay.
    traceContext: row.trace_context ?? {},
  };
}
