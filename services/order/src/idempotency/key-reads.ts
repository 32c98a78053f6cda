import type { EntityManager } from 'typeorm';
import { readIdempotencyKeys, type IdempotencyRecord } from './idempotency-keys';

interface Waiter {
  resolve: (record: IdempotencyRecord | null) => void;
  reject: (error: unknown) => void;
}

/** Keys per SELECT: far below what one statement's array parameter may hold. */
const MAX_KEYS = 1000;

/**
 * Reads of Idempotency-Keys that only read (a refusal from memory, a sale whose saga is behind), batched the natural
 * way: one SELECT at a time, and every key asked while it runs goes in the next one, right after it. No timer: a lone
 * request goes at once, and a storm shares each round trip among everyone waiting.
 */
export class KeyReads {
  private waiting = new Map<string, Waiter[]>();
  private busy = false;

  constructor(private readonly db: () => EntityManager) {}

  /** The key's record, or null when no request claimed it. */
  read(key: string): Promise<IdempotencyRecord | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.busy) {
        this.busy = true;
        void this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.waiting.size) {
      const batch = [...this.waiting].slice(0, MAX_KEYS);
      for (const [key] of batch) this.waiting.delete(key);
      try {
        const found = new Map(
          (
            await readIdempotencyKeys(
              this.db(),
              batch.map(([key]) => key),
            )
          ).map((r) => [r.key, r]),
        );
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key) ?? null);
      } catch (error) {
        for (const [, waiters] of batch) for (const w of waiters) w.reject(error);
      }
    }
    this.busy = false;
  }
}
