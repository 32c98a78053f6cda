// `npm run audit -- [--event <eventId>] [--json]`: checks the contract's invariants (docs/contract.md §6) on what
// the services recorded, read-only. Exit code 0: no violation; 1: violations; 2: the audit itself could not run.
import { parseAuditOptions } from './audit-options';
import { terminalProgress } from './audit-progress';
import { toJson, toText } from './audit-report';
import { readAuditSettings } from './audit-settings';
import { findViolations } from './find-violations';
import { readSnapshot } from './read-snapshot';

async function main(): Promise<number> {
  const options = parseAuditOptions(process.argv.slice(2));
  const settings = readAuditSettings(process.env);
  const { progress, done } = terminalProgress(process.stderr);
  const snapshot = await readSnapshot(settings, options.eventId, { ...settings, progress }).finally(done);
  const violations = findViolations(snapshot, settings);
  process.stdout.write(`${options.json ? toJson(snapshot, violations) : toText(snapshot, violations)}\n`);
  return violations.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // 42P01: a service's tables are missing, because it never started against this database and schema;
    // 42703: a column is, because it has not started since a migration added it (outbox parked_at);
    // 57014: Postgres cancelled a query that ran past the statement timeout.
    const hints: Record<string, string> = {
      '42P01': ' (start every service once, `npm start`, or set the *_DB_SCHEMA variables the services use)',
      '42703': ' (start every service once, `npm start`, so that its latest migrations run)',
      '57014': ' (AUDIT_STATEMENT_TIMEOUT_SECONDS: is an index missing? `npm start` runs the migrations)',
    };
    const hint = hints[(error as { code?: string }).code ?? ''] ?? '';
    process.stderr.write(`audit failed: ${message}${hint}\n`);
    process.exit(2);
  },
);
