import type { FastifyReply } from 'fastify';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

describe('MetricsController', () => {
  const reply = () => ({ header: jest.fn() }) as unknown as FastifyReply & { header: jest.Mock };

  it('given metrics on, when scraped, then it answers the Prometheus text with its content type', async () => {
    const metrics = new ServiceMetrics({ enabled: true });
    metrics.counter({ name: 'test_total', help: 'test' }).inc();
    const answer = reply();

    const body = await new MetricsController(metrics).scrape(answer);

    expect(body).toContain('test_total 1');
    expect(answer.header).toHaveBeenCalledWith(
      'content-type',
      expect.stringMatching(/^text\/plain; version=0\.0\.4/),
    );
  });

  it('given METRICS_ENABLED=false, when scraped, then it is 404 ROUTE_NOT_FOUND', async () => {
    const scraping = new MetricsController(new ServiceMetrics({ enabled: false })).scrape(reply());

    await expect(scraping).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
