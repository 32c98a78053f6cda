import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { createLogger } from '@boxoffice/logging/create-logger';
import type { LogSettings } from '@boxoffice/logging/log-settings';
import { newRequestId } from '@boxoffice/logging/request-id';
import { logRequests } from '@boxoffice/logging/request-logging';
import { nestLoggerOn, ROOT_LOGGER, withLogging } from '@boxoffice/logging/with-logging';
import { serveApiDocs } from './api-docs';
import { observeHttpDurations } from '@boxoffice/metrics/http-durations';
import { ProblemFilter } from './problem.filter';
import { traceRequests } from './request-tracing';
import { contractValidationPipe, schemaValidationFailed } from './validation';

export interface HttpAppOptions {
  service: string;
  bodyLimitBytes: number;
}

/** Fastify, contract validation, contract error bodies and pino logs, the same for every service. */
export async function createHttpApp(
  module: Type<unknown>,
  options: HttpAppOptions & { log: LogSettings },
): Promise<NestFastifyApplication> {
  const logger = createLogger(options.log);
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging(module, logger),
    httpAdapter(options),
    { logger: nestLoggerOn(logger) },
  );
  configureHttpApp(app, options);
  return app;
}

export function httpAdapter(options: HttpAppOptions): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    genReqId: newRequestId,
    // A route's JSON Schema (RouteSchema) holds the contract as the validation pipe does: strict types, unknown
    // fields refused rather than dropped, every offending field named.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: true },
    },
    schemaErrorFormatter: schemaValidationFailed,
  });
}

/** Also used by e2e tests that build the app through `Test.createTestingModule` (with `withLogging`). */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  // Every Nest `Logger` line goes to pino (a test app's too, whose boot lines were buffered).
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(contractValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  // No enableShutdownHooks(): runService's stopOnSignals (graceful-shutdown.ts) owns SIGTERM and SIGINT.
  serveApiDocs(app, options.service);
  observeHttpDurations(app);
  // JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE rather than a string the validators misread.
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  logRequests(fastify, app.get(ROOT_LOGGER));
  traceRequests(fastify);
}
