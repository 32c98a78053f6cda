import { DomainError } from './domain-error';

// Errors that mean "a dependency is down right now": HTTP answers 503 + Retry-After, and a consumer retries the
// message without limit rather than dead-lettering work that must not be lost. Anything else is a bug (500).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

export function isDependencyDown(error: unknown): boolean {
  if (error instanceof DomainError) return error.code === 'UNAVAILABLE';
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // Postgres SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown), 57014 (statement timeout),
    // 25006 (read-only: a replica, or a primary demoted by a failover), 40001 and 40P01 (serialization, deadlock:
    // the same work succeeds when tried again).
    if (/^(08|53|57P|57014|25006|40001|40P01)/.test(code)) return true;
  }
  // Redis loading its data, a read-only replica, out of memory, a cluster in failover: it answers, but not yet.
  if (/^(LOADING|READONLY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message)) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'UnavailableError') return true;
  // "Query read timeout": pg's query_timeout, Postgres did not answer at all (a hung network, a stopped server).
  return /Connection terminated|Connection is closed|timeout exceeded when trying to connect|Query read timeout|Stream isn't writeable|connect ECONNREFUSED/i.test(
    error.message,
  );
}
