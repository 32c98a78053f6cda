/** One call of a spied async method, recorded once it settled. */
export interface TimedRun<A extends unknown[] = unknown[]> {
  args: A;
  /** performance.now() when the call started and when its promise settled. */
  startedAt: number;
  endedAt: number;
  /** What it resolved to, if it did. */
  value?: unknown;
  /** What it rejected with, if it did. */
  error?: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any async method, whatever it takes and gives
type AsyncMethod = (...args: any[]) => Promise<unknown>;
type AsyncMethodName<T> = { [K in keyof T]: T[K] extends AsyncMethod ? K : never }[keyof T] & string;

/**
 * A jest spy on an async method that calls the real one and records when each call started and ended, so that a
 * test can see that calls overlapped (`mostAtOnce`) or how they ended, without stopping the service to ask.
 * Restore it with `spy.mockRestore()`.
 */
export function timedSpy<T extends object, K extends AsyncMethodName<T>>(
  object: T,
  method: K,
): { spy: jest.SpyInstance; runs: Array<TimedRun<Parameters<Extract<T[K], AsyncMethod>>>> } {
  type Args = Parameters<Extract<T[K], AsyncMethod>>;
  const real = (object[method] as AsyncMethod).bind(object);
  const runs: Array<TimedRun<Args>> = [];
  const spy = jest.spyOn(object, method as never) as unknown as jest.SpyInstance<Promise<unknown>, Args>;
  spy.mockImplementation(async (...args: Args) => {
    const startedAt = performance.now();
    try {
      const value = await real(...args);
      runs.push({ args, startedAt, endedAt: performance.now(), value });
      return value;
    } catch (error) {
      runs.push({ args, startedAt, endedAt: performance.now(), error });
      throw error;
    }
  });
  return { spy, runs };
}

/** The most calls that were in progress at the same moment: > 1 means some really ran concurrently. */
export function mostAtOnce(runs: readonly TimedRun[]): number {
  return Math.max(
    0,
    ...runs.map(
      (run) =>
        runs.filter((other) => other.startedAt <= run.startedAt && other.endedAt > run.startedAt).length,
    ),
  );
}
