import type { DataSource } from 'typeorm';
import { DomainError } from '@boxoffice/errors/domain-error';

/** How the simulated processor misbehaves during an outage: shares of calls, 0 to 1. */
export interface Outage {
  /** Refused before doing anything (the processor answered 5xx). */
  errorRate: number;
  /** Done, but the answer never came back within the client's timeout. */
  timeoutRate: number;
}

/** The outage in force now, from the simulated processor's own table `gateway_outages` (none: rates 0). */
export async function outageNow(db: DataSource): Promise<Outage> {
  const [row] = (await db.query(
    `SELECT coalesce(max(error_rate), 0) AS error_rate, coalesce(max(timeout_rate), 0) AS timeout_rate
     FROM gateway_outages WHERE now() >= starts_at AND now() < ends_at`,
  )) as { error_rate: number; timeout_rate: number }[];
  return { errorRate: row.error_rate, timeoutRate: row.timeout_rate };
}

/** The processor could not be reached or did not answer: the call is safe to repeat with the same key. */
export function processorUnavailable(kind: string, key: string, what: string): DomainError {
  return new DomainError('UNAVAILABLE', `card processor ${what} on ${kind} ${key}`);
}
