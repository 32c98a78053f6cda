import type { FastifyInstance, FastifyRequest } from 'fastify';
import { flushTraces, tracingOn } from '@boxoffice/tracing/start-tracing';
import { startServerSpan, type ServerSpan } from '@boxoffice/tracing/spans';

/** Probes and scrapes, every few seconds from each watcher: a trace each would bury the orders'. */
const UNTRACED = /^\/(health|metrics|docs)(\/|$)/;

/**
 * One server span per request, named by method and route (`POST /orders`, `POST /reservations/:orderId/commit`), a
 * child of the caller's `traceparent`. With tracing off no hook is added at all.
 */
export function traceRequests(fastify: FastifyInstance): void {
  if (!tracingOn()) return;
  const spans = new WeakMap<FastifyRequest, ServerSpan>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? '(no route)';
    if (UNTRACED.test(route)) return done();
    spans.set(
      request,
      startServerSpan(`${request.method} ${route}`, request.headers, {
        'http.request.method': request.method,
        'http.route': route,
      }),
    );
    done();
  });
  // The body is parsed by now: from here the handler runs inside the span (Fastify calls it from `done`).
  fastify.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (span) span.run(done);
    else done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    spans.get(request)?.end(reply.statusCode);
    done();
  });
  fastify.addHook('onClose', async () => flushTraces());
}
