import type { EntityManager } from 'typeorm';
import type { PublishResult } from '@boxoffice/messaging/publish-result';

/** An outbox row the relay claimed (columns as in the table). */
export interface ClaimedRow {
  id: string;
  message_id: string;
  routing_key: string;
  correlation_id: string;
  payload: object;
  trace_context: Record<string, string> | null;
}

/** A row whose message did not reach the broker, and why; `attempts` and `parked` once a refusal is counted. */
export interface FailedRow {
  id: string;
  messageId: string;
  routingKey: string;
  error: string;
  attempts?: number;
  parked?: boolean;
}

export interface RowBackoff {
  /** A refused row's first wait; each further refusal doubles it, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Refusals of one row before it is parked: never claimed again. */
  maxAttempts: number;
  /** How long an unroutable row waits: uncounted, it goes through once a consumer declares its queue. */
  unroutableDelayMs: number;
}

export interface BatchOutcome {
  sent: number;
  /** Nacked or not encodable: counted against the row, which waits its own backoff or is parked. */
  refused: FailedRow[];
  unroutable: FailedRow[];
  /** The broker could not say (down, channel lost, no confirm in time): the rows stay as they were, due. */
  unconfirmed: FailedRow[];
}

/** Column `last_error` keeps this much of a failure, as `x-last-error` does. */
const ERROR_LENGTH = 1000;

/** Records in the claiming transaction how each row's publish ended, so that one bad row holds up no other. */
export async function recordOutcomes(
  tx: EntityManager,
  rows: readonly ClaimedRow[],
  results: readonly PublishResult[],
  policy: RowBackoff,
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { sent: 0, refused: [], unroutable: [], unconfirmed: [] };
  const sentIds: string[] = [];
  rows.forEach((row, index) => {
    const result = results[index];
    if (result.status === 'confirmed') {
      sentIds.push(row.id);
      return;
    }
    const failed = {
      id: row.id,
      messageId: row.message_id,
      routingKey: row.routing_key,
      error: result.error,
    };
    outcome[result.status].push(failed);
  });
  if (sentIds.length) await tx.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1)', [sentIds]);
  outcome.sent = sentIds.length;
  outcome.refused = await countRefusals(tx, outcome.refused, policy);
  await deferUnroutable(tx, outcome.unroutable, policy);
  return outcome;
}

/** The next wait doubles with each refusal, from the time of this one (the claim may be a publish timeout ago). */
async function countRefusals(
  tx: EntityManager,
  refused: FailedRow[],
  policy: RowBackoff,
): Promise<FailedRow[]> {
  if (!refused.length) return [];
  const counted: Array<{ id: string; attempts: number; parked: boolean }> = await tx.query(
    // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count], a SELECT with the rows.
    `WITH counted AS (
       UPDATE outbox o SET
         attempts = o.attempts + 1,
         last_error = f.error,
         next_attempt_at = clock_timestamp()
           + make_interval(secs => least($3::float8, $2::float8 * power(2, o.attempts)) / 1000),
         parked_at = CASE WHEN o.attempts + 1 >= $4 THEN clock_timestamp() END
       FROM unnest($1::bigint[], $5::text[]) AS f(id, error)
       WHERE o.id = f.id
       RETURNING o.id, o.attempts, o.parked_at IS NOT NULL AS parked)
     SELECT * FROM counted`,
    [
      refused.map((row) => row.id),
      policy.firstDelayMs,
      policy.maxDelayMs,
      policy.maxAttempts,
      refused.map((row) => row.error.slice(0, ERROR_LENGTH)),
    ],
  );
  const byId = new Map(counted.map((row) => [String(row.id), row]));
  return refused.map((row) => ({ ...row, ...byId.get(row.id) }));
}

async function deferUnroutable(
  tx: EntityManager,
  unroutable: FailedRow[],
  policy: RowBackoff,
): Promise<void> {
  if (!unroutable.length) return;
  await tx.query(
    `UPDATE outbox o SET
       last_error = f.error,
       next_attempt_at = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
     FROM unnest($1::bigint[], $3::text[]) AS f(id, error)
     WHERE o.id = f.id`,
    [
      unroutable.map((row) => row.id),
      policy.unroutableDelayMs,
      unroutable.map((row) => row.error.slice(0, ERROR_LENGTH)),
    ],
  );
}
