import { InFlightLimit } from './in-flight-limit';

describe('InFlightLimit', () => {
  it('given the limit reached, when one more enters, then OVERLOADED; once one leaves, one more may enter', () => {
    const limit = new InFlightLimit(2);
    const first = limit.enter();
    expect(limit.full).toBe(false);
    limit.enter();

    expect(limit.full).toBe(true);
    expect(() => limit.enter()).toThrow(expect.objectContaining({ code: 'OVERLOADED' }));

    first();
    expect(limit.full).toBe(false);
    expect(() => limit.enter()).not.toThrow();
  });

  it('given a request that left, when it leaves again, then it frees no second place', () => {
    const limit = new InFlightLimit(1);
    const leave = limit.enter();

    leave();
    leave();

    limit.enter();
    expect(() => limit.enter()).toThrow(expect.objectContaining({ code: 'OVERLOADED' }));
  });
});
