import type { QueueDepth } from '../audit/read-snapshot';
import { consumerQueueOf } from '../audit/saga-queue';

/** One consumer queue with its retry tiers and DLQ folded in; a count is null while the broker has not published it. */
export interface ConsumerQueueRow {
  queue: string;
  ready: number | null;
  unacked: number | null;
  /** Messages waiting out a backoff in any retry tier. */
  retrying: number | null;
  /** Messages parked in its DLQ. */
  dead: number | null;
}

export function consumerQueueRows(depths: QueueDepth[]): ConsumerQueueRow[] {
  const rows = new Map<string, ConsumerQueueRow>();
  for (const depth of depths) {
    const queue = consumerQueueOf(depth.name);
    const row = rows.get(queue) ?? { queue, ready: 0, unacked: 0, retrying: 0, dead: 0 };
    if (depth.name === queue) Object.assign(row, { ready: depth.ready, unacked: depth.unacked });
    else if (depth.name.endsWith('.dlq')) row.dead = depth.messages;
    else row.retrying = sum(row.retrying, depth.messages);
    rows.set(queue, row);
  }
  return [...rows.values()];
}

function sum(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}
