import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { boundOnce, ServiceMetrics, type HistogramOf } from './service-metrics';

// From a Redis-only refusal (~1 ms) to the order deadline (5 s) and beyond.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A request no route matched: one series for all of them, whatever URL was asked. */
const UNMATCHED = 'unmatched';

type Labels = { method: string; route: string; status: number };

/**
 * Times every HTTP answer by method, route pattern (`/orders/:orderId`, never the id itself) and status, from
 * Fastify's own clock, after the answer went out. Each route gets its own hook as it is registered, so that the
 * pattern is known without `request.routeOptions` (a new object on every read); call before the app's init.
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
  fastify.addHook('onRoute', (route) => {
    const hooks = route.onResponse ?? [];
    route.onResponse = [...(Array.isArray(hooks) ? hooks : [hooks]), timer(durations, route.url)];
  });
  const unmatched = timer(durations, UNMATCHED);
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched.call(fastify, request, reply, done);
    else done();
  });
}

/** The hook of one route; its children are bound once per method and status, not per request. */
function timer(durations: HistogramOf<keyof Labels>, route: string): onResponseHookHandler {
  const byMethod = boundOnce((method: string) =>
    boundOnce((status: number) => durations.labels({ method, route, status })),
  );
  return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    byMethod(request.method)(reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  };
}
