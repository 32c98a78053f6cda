import type { DataSource } from 'typeorm';
import { DomainError } from '@boxoffice/errors/domain-error';
import type { GatewayOutcome } from './payment-gateway';

/** How the simulated processor misbehaves during an outage: shares of calls, 0 to 1. */
export interface Outage {
  /** Refused before doing anything (the processor answered 5xx). */
  errorRate: number;
  /** Done, but the answer never came back within the client's timeout. */
  timeoutRate: number;
}

/**
 * The outage in force now, from the simulated processor's own table `gateway_outages` (none: rates 0), and what the
 * processor recorded under `key`, in one round trip.
 */
export async function outageNow(
  db: DataSource,
  key: string,
): Promise<Outage & { known: GatewayOutcome | null }> {
  const [row] = (await db.query(
    `SELECT coalesce(max(error_rate), 0) AS error_rate, coalesce(max(timeout_rate), 0) AS timeout_rate,
       (SELECT row_to_json(call) FROM (SELECT succeeded, reference, reason FROM gateway_calls
        WHERE idempotency_key = $1) call) AS known
     FROM gateway_outages WHERE now() >= starts_at AND now() < ends_at`,
    [key],
  )) as { error_rate: number; timeout_rate: number; known: RecordedCall | null }[];
  return { errorRate: row.error_rate, timeoutRate: row.timeout_rate, known: outcomeOf(row.known) };
}

/** A call as `gateway_calls` records its outcome. */
export interface RecordedCall {
  succeeded: boolean;
  reference: string;
  reason: string | null;
}

export function outcomeOf(row: RecordedCall | null | undefined): GatewayOutcome | null {
  if (!row) return null;
  return {
    succeeded: row.succeeded,
    reference: row.reference,
    ...(row.reason ? { reason: row.reason } : {}),
  };
}

/** The processor could not be reached or did not answer: the call is safe to repeat with the same key. */
export function processorUnavailable(kind: string, key: string, what: string): DomainError {
  return new DomainError('UNAVAILABLE', `card processor ${what} on ${kind} ${key}`);
}
