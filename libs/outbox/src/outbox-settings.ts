import type { EnvReader } from '@boxoffice/config/env-reader';
import type { OutboxRelayOptions } from './outbox-relay';

export interface OutboxSettings extends OutboxRelayOptions {
  /** More rows waiting for the broker than this and the service is not ready (outboxBacklogReadiness). */
  readyMaxBacklog: number;
}

export function readOutboxSettings(env: EnvReader): OutboxSettings {
  return {
    batchSize: env.int('OUTBOX_BATCH_SIZE', 100, 1, 10_000),
    pollIntervalMs: env.int('OUTBOX_POLL_INTERVAL_MS', 500, 10, 60_000),
    maxBackoffMs: 5000,
    retentionMs: env.int('OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000,
    // With the row backoff doubling from the poll interval to a minute, 10 refusals take about 3 minutes.
    maxAttempts: env.int('OUTBOX_MAX_ATTEMPTS', 10, 1, 1000),
    maxRowBackoffMs: 60_000,
    // Off where one instance runs: its own relay is woken in the process, without the server-wide NOTIFY lock.
    notify: env.bool('OUTBOX_NOTIFY', true),
    // A few seconds of a sold-out storm's orders (~2.6k/s): a relay that far behind is stuck, not busy.
    readyMaxBacklog: env.int('OUTBOX_READY_MAX_BACKLOG', 10_000, 1, 10_000_000),
  };
}
