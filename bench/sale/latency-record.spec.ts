import { latencyByStatus, percentile } from './latency-record';

describe('npm run sale: latency per status', () => {
  it('given 100 sorted values, when a percentile is taken, then it is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([
      percentile(values, 50),
      percentile(values, 90),
      percentile(values, 99),
      percentile(values, 100),
    ]).toEqual([50, 90, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('given answers of two statuses, when grouped, then each status and all of them have their own figures', () => {
    const answers = [
      ...Array.from({ length: 10 }, (_, i) => ({ status: 202, latencyMs: 100 + i })),
      ...Array.from({ length: 90 }, (_, i) => ({ status: 409, latencyMs: i + 1 })),
    ];
    const figures = latencyByStatus(answers);
    expect(figures['202']).toEqual({ count: 10, p50: 104, p90: 108, p99: 109, max: 109 });
    expect(figures['409']).toEqual({ count: 90, p50: 45, p90: 81, p99: 90, max: 90 });
    expect(figures.all).toMatchObject({ count: 100, p50: 50, p90: 90, max: 109 });
  });
});
