import { DomainError } from '@boxoffice/errors/domain-error';

/** At most `max` requests at once; one more is refused at once, before any dependency is asked (503 OVERLOADED). */
export class InFlightLimit {
  private inFlight = 0;

  constructor(private readonly max: number) {}

  /** Whether one more would be refused now. */
  get full(): boolean {
    return this.inFlight >= this.max;
  }

  /** Counts a request in, or throws OVERLOADED; call what it returns once the request is answered. */
  enter(): () => void {
    if (this.inFlight >= this.max) {
      throw new DomainError('OVERLOADED', 'Too many orders at once; nothing was kept. Retry later.');
    }
    this.inFlight++;
    let left = false;
    return () => {
      if (!left) this.inFlight--;
      left = true;
    };
  }
}
