import type { FastifyInstance } from 'fastify';
import type { Level, Logger } from 'pino';
import { inRequest } from './log-context';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Per request, in Fastify's own hooks rather than a middleware and a child logger: its id (Fastify's `genReqId`,
 * newRequestId) on its answer and on every line written for it, and its `request completed` line only where the
 * level writes it (see levelOfAnswer): a storm of requests at info costs no log work at all.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // The body is parsed by now (its stream's events run outside any context): the handler runs inside this one.
  fastify.addHook('preHandler', (request, _reply, done) => inRequest(request.id, done));
  fastify.addHook('onResponse', (request, reply, done) => {
    const level = levelOfAnswer(reply.statusCode);
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          requestId: request.id,
          req: { method: request.method, url: request.url },
          res: { statusCode: reply.statusCode },
          responseTime: reply.elapsedTime,
        },
        'request completed',
      );
    }
    done();
  });
}

/**
 * 503 is load shed (OVERLOADED, by the thousand) or a dependency down, whose cause the problem filter has logged
 * already; 500 is a bug; other 5xx are warnings; everything else is routine.
 */
function levelOfAnswer(statusCode: number): Level {
  if (statusCode === 500) return 'error';
  if (statusCode > 500 && statusCode !== 503) return 'warn';
  return 'debug';
}
