import { ServiceMetrics } from './service-metrics';

const ORDERS = { name: 'test_orders_total', help: 'orders', labelNames: ['code'] as const };

describe('ServiceMetrics', () => {
  it('given two apps of one service in one process, when both declare the same metric, then each counts its own', async () => {
    const first = new ServiceMetrics({ enabled: true });
    const second = new ServiceMetrics({ enabled: true });

    first.counter(ORDERS).inc({ code: 'SOLD_OUT' }, 2);
    second.counter(ORDERS).inc({ code: 'SOLD_OUT' });

    expect((await first.scrape()).body).toContain('test_orders_total{code="SOLD_OUT"} 2');
    expect((await second.scrape()).body).toContain('test_orders_total{code="SOLD_OUT"} 1');
    expect((await first.scrape()).body).toContain('process_cpu_user_seconds_total');
  });

  it('given metrics off, when instruments are used, then nothing is recorded or read', async () => {
    const metrics = new ServiceMetrics({ enabled: false });
    const read = jest.fn();

    metrics.counter(ORDERS).inc({ code: 'SOLD_OUT' });
    metrics.histogram({ name: 'test_seconds', help: 'time', buckets: [1] }).observe(0.5);
    metrics.gaugeReadOnScrape({ name: 'test_backlog', help: 'rows', read });

    expect(await metrics.scrape()).toEqual({ contentType: expect.any(String), body: '' });
    expect(metrics.registry.getMetricsAsArray()).toHaveLength(0);
    expect(read).not.toHaveBeenCalled();
  });

  it('given a gauge read on scrape, when its read fails, then the scrape answers with the value read last', async () => {
    const metrics = new ServiceMetrics({ enabled: true });
    let backlog: number | Error = 7;
    metrics.gaugeReadOnScrape({
      name: 'test_backlog',
      help: 'rows',
      read: async (gauge) => {
        if (backlog instanceof Error) throw backlog;
        gauge.set(backlog);
      },
    });

    expect((await metrics.scrape()).body).toContain('test_backlog 7');
    backlog = new Error('database down');
    expect((await metrics.scrape()).body).toContain('test_backlog 7');
  });
});
