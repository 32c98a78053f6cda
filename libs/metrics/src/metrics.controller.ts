import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from '@boxoffice/errors/domain-error';
import { ServiceMetrics } from './service-metrics';

/** GET /metrics: the service's own metrics in the Prometheus text format, never behind auth. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!this.metrics.enabled)
      throw new DomainError('ROUTE_NOT_FOUND', 'Metrics are off (METRICS_ENABLED=false)');
    const { contentType, body } = await this.metrics.scrape();
    reply.header('content-type', contentType);
    return body;
  }
}
