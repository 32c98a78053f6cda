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
    try {
      // A key twice in one batch: the first one stores it, the other goes the way of any later request.
      const first = new Map<string, Pending>();
      for (const entry of batch) if (!first.has(entry.key)) first.set(entry.key, entry);
      const rows = [...first.values()];
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
      const stored = new Set(inserted.map((row) => row.key));
      for (const entry of batch) entry.settle(first.get(entry.key) === entry && stored.has(entry.key));
    } catch (error) {
      for (const entry of batch) entry.fail(error);
    }
  }
}
