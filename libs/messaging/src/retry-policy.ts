import { ATTEMPT_HEADER } from './message-headers';

export type FailureVerdict = { retry: true; nextAttempt: number; delayMs: number } | { retry: false };

/**
 * How often a failing message is tried, and how long it waits in between. The delay is the same
 * for every attempt on purpose: retry copies share one queue and expire only from its head, so
 * equal delays keep expiry order equal to queue order and no copy waits behind a longer one.
 */
export class RetryPolicy {
  constructor(
    readonly maxAttempts: number,
    readonly delayMs: number,
  ) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error(`maxAttempts must be >= 1 (got ${maxAttempts})`);
    }
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new Error(`retryDelayMs must be >= 0 (got ${delayMs})`);
    }
  }

  /** A transient failure (a dependency is down) is retried without limit: dead-lettering it would lose the work. */
  afterFailure(attempt: number, transient = false): FailureVerdict {
    if (attempt >= this.maxAttempts && !transient) return { retry: false };
    return { retry: true, nextAttempt: attempt + 1, delayMs: this.delayMs };
  }
}

/** The attempt a delivery stands for: 1 unless the retry path stamped another (a bad stamp counts as 1). */
export function attemptOf(headers: Record<string, unknown> | undefined): number {
  const value = Number(headers?.[ATTEMPT_HEADER]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}
