import type { EntityManager } from 'typeorm';
import type { StoredResponse } from './idempotency-keys';

interface Pending {
  key: string;
  hash: string;
  resourceId: string;
  response: StoredResponse;
  settle: (stored: boolean) => void;
  fail: (error: unknown) => void;
}

/** Rows per INSERT: far below Postgres's 65,535 parameters. */
const MAX_ROWS = 500;
/**
 * How long a refusal that finds no INSERT running waits for others to share its INSERT. Without it a storm's
 * INSERTs held a few rows each, as Postgres answers fast, and their round trips cost order CPU (bench/README.md,
 * "What each change of issue 14 bought").
 */
const LINGER_MS = 5;

/**
 * Keys claimed with their refusal already decided (a sale sold out from memory), batched: one INSERT at a time;
 * what arrives while one runs goes in the next, right after it, and a refusal that finds none running waits
 * LINGER_MS for company. One INSERT, one commit: a group commit of our own. A key someone claimed first is not
 * stored here, and says so.
 */
export class FirstRefusals {
  private pending: Pending[] = [];
  private busy = false;

  constructor(private readonly db: () => EntityManager) {}

  /** True: the key is now claimed with this response. False: it was claimed already (by a request before). */
  store(key: string, hash: string, resourceId: string, response: StoredResponse): Promise<boolean> {
    return new Promise((settle, fail) => {
      this.pending.push({ key, hash, resourceId, response, settle, fail });
      if (!this.busy) {
        this.busy = true;
        setTimeout(() => this.flush(), LINGER_MS);
      }
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, MAX_ROWS);
    void this.insert(batch).finally(() => {
      if (this.pending.length) this.flush();
      else this.busy = false;
    });
  }

  private async insert(batch: Pending[]): Promise<void> {
    // A key twice in one batch: the first one stores it, the other goes the way of any later request.
    const first = new Map<string, Pending>();
    for (const entry of batch) if (!first.has(entry.key)) first.set(entry.key, entry);
    const rows = [...first.values()];
    const settle = (entry: Pending, stored: Set<string>) =>
      entry.settle(first.get(entry.key) === entry && stored.has(entry.key));
    try {
      const stored = await this.insertRows(rows);
      for (const entry of batch) settle(entry, stored);
    } catch (error) {
      if (refusesRow(error)) {
        // Postgres refused the statement for some row and kept none: each row alone, so only that one fails.
        await Promise.all(
          rows.map((row) => this.insertRows([row]).then((stored) => settle(row, stored), row.fail)),
        );
        for (const entry of batch) if (first.get(entry.key) !== entry) entry.settle(false);
        return;
      }
      // The answer lost (the INSERT may have taken effect) or Postgres away: what was stored is the answer.
      await this.storedAfterAll(rows).then(
        (stored) => batch.forEach((entry) => settle(entry, stored)),
        () => batch.forEach((entry) => entry.fail(error)),
      );
    }
  }

  /** The keys this INSERT stored; a key claimed before is left as it is. */
  private async insertRows(rows: Pending[]): Promise<Set<string>> {
    const parameters = rows.flatMap((r) => [
      r.key,
      r.hash,
      r.resourceId,
      r.response.status,
      JSON.stringify(r.response.body),
    ]);
    const values = rows.map(
      (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`,
    );
    const inserted = (await this.db().query(
      `INSERT INTO idempotency_keys (key, request_hash, resource_id, response_status, response_body)
       VALUES ${values.join(', ')} ON CONFLICT (key) DO NOTHING RETURNING key`,
      parameters,
    )) as Array<{ key: string }>;
    return new Set(inserted.map((row) => row.key));
  }

  /**
   * After an INSERT whose outcome is unknown: the keys stored with these rows, by that INSERT or by this one. The
   * INSERT again waits for one still running on a lost connection (a conflicting insert waits for its transaction),
   * so the read after it sees what that one did; a row whose resource id is ours was stored for its request.
   */
  private async storedAfterAll(rows: Pending[]): Promise<Set<string>> {
    const stored = await this.insertRows(rows);
    const rest = rows.filter((row) => !stored.has(row.key));
    if (!rest.length) return stored;
    const found = (await this.db().query(
      'SELECT key, resource_id FROM idempotency_keys WHERE key = ANY($1)',
      [rest.map((row) => row.key)],
    )) as Array<{ key: string; resource_id: string }>;
    const ours = new Map(rest.map((row) => [row.key, row.resourceId]));
    for (const row of found) if (ours.get(row.key) === row.resource_id) stored.add(row.key);
    return stored;
  }
}

/** Postgres refused a value of some row (SQLSTATE class 22, data; 23, a constraint): the statement kept nothing. */
function refusesRow(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
