import { Client } from 'pg';

/** How the audit's connection is named in pg_stat_activity. */
export const AUDIT_APPLICATION_NAME = 'boxoffice-audit';
/** How often Postgres looks whether the audit is still there while one of its queries runs. */
const CLIENT_CHECK_MS = 1000;

/**
 * The audit's read-only connection. Postgres itself ends a query of the audit that outlives the statement timeout,
 * or its client: a killed audit used to leave its query running for minutes, since a backend that is still
 * computing writes nothing to the socket and so never learns that nobody is reading (client_connection_check_interval,
 * PostgreSQL 14 and later, has it look).
 */
export async function openAuditSession(
  databaseUrl: string,
  statementTimeoutSeconds: number,
): Promise<Client> {
  const db = new Client({
    connectionString: databaseUrl,
    application_name: AUDIT_APPLICATION_NAME,
    options: [
      `-c statement_timeout=${statementTimeoutSeconds * 1000}`,
      `-c client_connection_check_interval=${CLIENT_CHECK_MS}`,
      '-c default_transaction_read_only=on',
    ].join(' '),
  });
  await db.connect();
  return db;
}
