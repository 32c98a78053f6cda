import { pollDelayMs } from './room-polling';

describe('pollDelayMs', () => {
  it('waits pollAfterSeconds when the draw is 0, and a quarter more at most', () => {
    expect(pollDelayMs(4, () => 0)).toBe(4000);
    expect(pollDelayMs(4, () => 0.999)).toBe(4999);
  });

  it('waits at least a second, also when the answer had none or said 0', () => {
    expect(pollDelayMs(undefined, () => 0)).toBe(1000);
    expect(pollDelayMs(0, () => 0.5)).toBe(1125);
  });

  it('spreads buyers who were told the same wait', () => {
    const delays = new Set(Array.from({ length: 50 }, () => pollDelayMs(2)));
    expect(delays.size).toBeGreaterThan(25);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(2000);
  });
});
