import { ATTEMPT_HEADER } from './message-headers';
import { attemptOf, RETRY_JITTER, RetryPolicy } from './retry-policy';

/** A random source that always draws `value`: the jitter is then known. */
const always = (value: number) => () => value;
const NO_JITTER = always(0);
const FULL_JITTER = always(0.999_999);

describe('RetryPolicy', () => {
  it('given a base of 200 ms, when attempts keep failing, then each wait doubles until the last attempt, then it gives up', () => {
    const policy = new RetryPolicy({ maxAttempts: 4, delayMs: 200, maxDelayMs: 60_000 }, NO_JITTER);

    expect(policy.afterFailure(1)).toEqual({ retry: true, nextAttempt: 2, delayMs: 200, tier: 1 });
    expect(policy.afterFailure(2)).toEqual({ retry: true, nextAttempt: 3, delayMs: 400, tier: 2 });
    expect(policy.afterFailure(3)).toEqual({ retry: true, nextAttempt: 4, delayMs: 800, tier: 3 });
    expect(policy.afterFailure(4)).toEqual({ retry: false });
  });

  it('given a cap of 1000 ms, when the doubled wait would pass it, then every later wait is the cap, in the last tier', () => {
    const policy = new RetryPolicy({ maxAttempts: 100, delayMs: 200, maxDelayMs: 1_000 }, NO_JITTER);

    const waits = [1, 2, 3, 4, 5, 6, 50].map((attempt) => policy.afterFailure(attempt));

    expect(waits.map((verdict) => verdict.retry && verdict.delayMs)).toEqual([
      200, 400, 800, 1_000, 1_000, 1_000, 1_000,
    ]);
    expect(waits.map((verdict) => verdict.retry && verdict.tier)).toEqual([1, 2, 3, 4, 4, 4, 4]);
    expect(policy.tierCount).toBe(4);
  });

  it('given a cap that is a doubling of the base, or the base itself, then the tiers are exactly the distinct waits', () => {
    expect(new RetryPolicy({ maxAttempts: 1, delayMs: 1_000, maxDelayMs: 1_000 }).tierCount).toBe(1);
    expect(new RetryPolicy({ maxAttempts: 1, delayMs: 1_000, maxDelayMs: 2_000 }).tierCount).toBe(2);
    expect(new RetryPolicy({ maxAttempts: 1, delayMs: 1_000, maxDelayMs: 30_000 }).tierCount).toBe(6);
    expect(new RetryPolicy({ maxAttempts: 1, delayMs: 0, maxDelayMs: 30_000 }).tierCount).toBe(1);
  });

  it('given any random draw, when a wait is jittered, then it lies between 80% and 100% of the un-jittered wait, never past the cap', () => {
    const draws = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999_999];
    for (const draw of draws) {
      const policy = new RetryPolicy({ maxAttempts: 100, delayMs: 1_000, maxDelayMs: 30_000 }, always(draw));
      for (let attempt = 1; attempt <= 8; attempt++) {
        const verdict = policy.afterFailure(attempt);
        const steady = policy.steadyDelayOf(attempt);

        expect(verdict.retry && verdict.delayMs).toBeGreaterThanOrEqual(steady * (1 - RETRY_JITTER));
        expect(verdict.retry && verdict.delayMs).toBeLessThanOrEqual(Math.min(steady, 30_000));
      }
    }
    const spread = new RetryPolicy({ maxAttempts: 100, delayMs: 1_000, maxDelayMs: 30_000 }, FULL_JITTER);
    expect(spread.afterFailure(20)).toMatchObject({ delayMs: 24_000, tier: 6 });
  });

  it('given copies that failed together, when each draws its own jitter, then they come back spread out in the same tier', () => {
    const draws = [0, 0.5, 0.999_999];
    const verdicts = draws.map((draw) =>
      new RetryPolicy({ maxAttempts: 8, delayMs: 1_000, maxDelayMs: 30_000 }, always(draw)).afterFailure(3),
    );

    expect(verdicts).toEqual([
      { retry: true, nextAttempt: 4, delayMs: 4_000, tier: 3 },
      { retry: true, nextAttempt: 4, delayMs: 3_600, tier: 3 },
      { retry: true, nextAttempt: 4, delayMs: 3_200, tier: 3 },
    ]);
  });

  it('keeps retrying a transient failure past the last attempt, with waits at the cap, so the work is never dead-lettered', () => {
    const policy = new RetryPolicy({ maxAttempts: 3, delayMs: 200, maxDelayMs: 1_000 }, NO_JITTER);

    expect(policy.afterFailure(3, true)).toEqual({ retry: true, nextAttempt: 4, delayMs: 800, tier: 3 });
    expect(policy.afterFailure(50, true)).toEqual({ retry: true, nextAttempt: 51, delayMs: 1_000, tier: 4 });
    expect(policy.afterFailure(5_000, true)).toEqual({
      retry: true,
      nextAttempt: 5_001,
      delayMs: 1_000,
      tier: 4,
    });
    expect(policy.afterFailure(50, false)).toEqual({ retry: false });
  });

  it('refuses settings that would never try, wait a negative time or cap below the base', () => {
    expect(() => new RetryPolicy({ maxAttempts: 0, delayMs: 200, maxDelayMs: 200 })).toThrow('maxAttempts');
    expect(() => new RetryPolicy({ maxAttempts: 3, delayMs: -1, maxDelayMs: 200 })).toThrow('retryDelayMs');
    expect(() => new RetryPolicy({ maxAttempts: 3, delayMs: 200, maxDelayMs: 100 })).toThrow(
      'retryMaxDelayMs',
    );
  });

  it('reads the attempt header, counting a missing or garbled one as the first attempt', () => {
    expect(attemptOf(undefined)).toBe(1);
    expect(attemptOf({})).toBe(1);
    expect(attemptOf({ [ATTEMPT_HEADER]: 4 })).toBe(4);
    expect(attemptOf({ [ATTEMPT_HEADER]: '2' })).toBe(2);
    expect(attemptOf({ [ATTEMPT_HEADER]: 'x' })).toBe(1);
    expect(attemptOf({ [ATTEMPT_HEADER]: 0 })).toBe(1);
  });
});
