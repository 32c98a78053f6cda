import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ServiceMetrics } from './service-metrics';

// From a Redis-only refusal (~1 ms) to the order deadline (5 s) and beyond.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A request no route matched: one series for all of them, whatever URL was asked. */
const UNMATCHED = 'unmatched';

/**
 * Times every HTTP answer by method, route pattern (`/orders/:orderId`, never the id itself) and status, from
 * Fastify's own clock, in a hook that runs after the answer went out.
 */
export function observeHttpDurations(app: INestApplication): void {
  const metrics = app.get(ServiceMetrics);
  if (!metrics.enabled) return;
  const durations = metrics.histogram({
    name: 'boxoffice_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status: time from request to answer',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
  });
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED,
      status: reply.statusCode,
    };
    durations.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
