import { ATTEMPT_HEADER } from './message-headers';
import { attemptOf, RetryPolicy } from './retry-policy';

describe('RetryPolicy', () => {
  it('retries with the same delay until the last attempt, then gives up', () => {
    const policy = new RetryPolicy(3, 200);

    expect(policy.afterFailure(1)).toEqual({ retry: true, nextAttempt: 2, delayMs: 200 });
    expect(policy.afterFailure(2)).toEqual({ retry: true, nextAttempt: 3, delayMs: 200 });
    expect(policy.afterFailure(3)).toEqual({ retry: false });
  });

  it('keeps retrying a transient failure past the last attempt, so the work is never dead-lettered', () => {
    const policy = new RetryPolicy(3, 200);

    expect(policy.afterFailure(3, true)).toEqual({ retry: true, nextAttempt: 4, delayMs: 200 });
    expect(policy.afterFailure(50, true)).toEqual({ retry: true, nextAttempt: 51, delayMs: 200 });
    expect(policy.afterFailure(50, false)).toEqual({ retry: false });
  });

  it('refuses settings that would never try or wait a negative time', () => {
    expect(() => new RetryPolicy(0, 200)).toThrow('maxAttempts');
    expect(() => new RetryPolicy(3, -1)).toThrow('retryDelayMs');
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
