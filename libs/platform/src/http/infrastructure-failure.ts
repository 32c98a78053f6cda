// Errors that mean "a dependency is down right now" (answer 503 + Retry-After), as opposed to a bug (500).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

export function isInfrastructureFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // Postgres SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown), 57014 (statement timeout).
    if (/^(08|53|57P|57014)/.test(code)) return true;
  }
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'UnavailableError') return true;
  return /Connection terminated|Connection is closed|timeout exceeded when trying to connect|Stream isn't writeable|connect ECONNREFUSED/i.test(
    error.message,
  );
}
