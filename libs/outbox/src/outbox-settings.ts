import { readInt } from '@boxoffice/platform/config/env';
import type { OutboxRelayOptions } from './outbox-relay';

export function readOutboxSettings(env: NodeJS.ProcessEnv): OutboxRelayOptions {
  return {
    batchSize: readInt(env, 'OUTBOX_BATCH_SIZE', 100, 1, 10_000),
    pollIntervalMs: readInt(env, 'OUTBOX_POLL_INTERVAL_MS', 500, 10, 60_000),
    maxBackoffMs: 5000,
    retentionMs: readInt(env, 'OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000,
  };
}
