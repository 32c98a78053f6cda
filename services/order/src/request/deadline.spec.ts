import { Deadline } from './deadline';

describe('Deadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('given work slower than the deadline, when waited for, then the late value comes at the deadline and the work goes on', async () => {
    const deadline = new Deadline(100);
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));

    const outcome = deadline.orLate(work, () => 'late');
    await jest.advanceTimersByTimeAsync(100);

    expect(await outcome).toBe('late');
    expect(deadline.passed).toBe(true);
    finish('done');
    expect(await work).toBe('done');
  });

  it('given work done in time, when waited for, then its value; a failure is its own', async () => {
    const deadline = new Deadline(100);

    expect(await deadline.orLate(Promise.resolve('done'), () => 'late')).toBe('done');
    await expect(deadline.orLate(Promise.reject(new Error('boom')), () => 'late')).rejects.toThrow('boom');
    expect(deadline.remainingMs).toBeGreaterThan(0);
  });

  it('given a deadline almost passed, when work must get at least some time, then it gets that time', () => {
    const deadline = new Deadline(10);

    jest.advanceTimersByTime(10);

    expect(deadline.passed).toBe(true);
    expect(deadline.atLeast(500).remainingMs).toBe(500);
    expect(new Deadline(1000).atLeast(500).remainingMs).toBe(1000);
  });
});
