/** A point in time work must be over by: what may be abandoned stops being waited for then. */
export class Deadline {
  private readonly at: number;

  constructor(ms: number) {
    this.at = performance.now() + ms;
  }

  /** The first of `deadlines` to pass (what work for all of them must be over by). */
  static earliest(deadlines: Deadline[]): Deadline {
    return deadlines.reduce((first, deadline) => (deadline.at < first.at ? deadline : first));
  }

  /** The last of `deadlines` to pass (how long one of them is still waited for). */
  static latest(deadlines: Deadline[]): Deadline {
    return deadlines.reduce((last, deadline) => (deadline.at > last.at ? deadline : last));
  }

  /** The later of two deadlines, for work that must get at least `ms` whatever time is left. */
  atLeast(ms: number): Deadline {
    return new Deadline(Math.max(ms, this.remainingMs));
  }

  /** Milliseconds left, 0 once passed. */
  get remainingMs(): number {
    return Math.max(0, this.at - performance.now());
  }

  get passed(): boolean {
    return this.remainingMs === 0;
  }

  /** Aborts at the deadline: a call still waiting then (for a connection, or for its answer) is given up. */
  signal(): AbortSignal {
    return AbortSignal.timeout(Math.ceil(this.remainingMs));
  }

  /** `work`, or `late()` if the deadline comes first; work still running then goes on, unwatched. */
  async orLate<T>(work: Promise<T>, late: () => T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, this.remainingMs, 'late')));
    try {
      const first = await Promise.race([work.then((value) => ({ value })), expired]);
      return first === 'late' ? late() : first.value;
    } finally {
      clearTimeout(timer);
    }
  }
}
