import { ATTEMPT_HEADER } from './message-headers';

export type FailureVerdict =
  { retry: true; nextAttempt: number; delayMs: number; tier: number } | { retry: false };

export interface RetryPolicySettings {
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles after each further one. */
  delayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

/** Each wait is cut by up to this share at random, so that copies that failed together come back spread out. */
export const RETRY_JITTER = 0.2;

/**
 * How often a failing message is tried, and how long it waits in between: `delayMs` after the first failure,
 * doubling after each further one up to `maxDelayMs`, each wait cut at random by up to RETRY_JITTER.
 *
 * Retry copies expire only from the head of their queue, so a queue must hold waits of about one length: every
 * un-jittered wait has a tier (one retry queue) of its own, `1` for the first retry up to `tierCount` for the
 * cap, and within a tier a copy can only wait behind another for the jitter's difference.
 */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** How many distinct un-jittered waits there are: delayMs, 2·delayMs, ... below the cap, then the cap. */
  readonly tierCount: number;

  constructor(
    { maxAttempts, delayMs, maxDelayMs }: RetryPolicySettings,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error(`maxAttempts must be >= 1 (got ${maxAttempts})`);
    }
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new Error(`retryDelayMs must be >= 0 (got ${delayMs})`);
    }
    if (!Number.isInteger(maxDelayMs) || maxDelayMs < delayMs) {
      throw new Error(`retryMaxDelayMs must be >= retryDelayMs ${delayMs} (got ${maxDelayMs})`);
    }
    this.maxAttempts = maxAttempts;
    this.delayMs = delayMs;
    this.maxDelayMs = maxDelayMs;
    this.tierCount = countTiers(delayMs, maxDelayMs);
  }

  /** A transient failure (a dependency is down) is retried without limit: dead-lettering it would lose the work. */
  afterFailure(attempt: number, transient = false): FailureVerdict {
    if (attempt >= this.maxAttempts && !transient) return { retry: false };
    const tier = Math.min(Math.max(attempt, 1), this.tierCount);
    const delayMs = Math.round(this.steadyDelayOf(tier) * (1 - RETRY_JITTER * this.random()));
    return { retry: true, nextAttempt: attempt + 1, delayMs, tier };
  }

  /** The un-jittered wait of a tier: delayMs · 2^(tier-1), at most the cap (which the last tier reaches). */
  steadyDelayOf(tier: number): number {
    return Math.min(this.maxDelayMs, this.delayMs * 2 ** (Math.min(tier, this.tierCount) - 1));
  }
}

// The first doubling that reaches the cap is the last tier; a zero delay never grows.
function countTiers(delayMs: number, maxDelayMs: number): number {
  if (delayMs === 0) return 1;
  let tiers = 1;
  for (let delay = delayMs; delay < maxDelayMs; delay *= 2) tiers++;
  return tiers;
}

/** The attempt a delivery stands for: 1 unless the retry path stamped another (a bad stamp counts as 1). */
export function attemptOf(headers: Record<string, unknown> | undefined): number {
  const value = Number(headers?.[ATTEMPT_HEADER]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}
