import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { serveApiDocs } from './api-docs';
import { observeHttpDurations } from '@boxoffice/metrics/http-durations';
import { ProblemFilter } from './problem.filter';
import { traceRequests } from './request-tracing';
import { contractValidationPipe } from './validation';

export interface HttpAppOptions {
  service: string;
  bodyLimitBytes: number;
}

/** Fastify, contract validation and contract error bodies, the same for every service. */
export async function createHttpApp(
  module: Type<unknown>,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, httpAdapter(options));
  configureHttpApp(app, options);
  return app;
}

export function httpAdapter(options: HttpAppOptions): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: options.bodyLimitBytes });
}

/** Also used by e2e tests that build the app through `Test.createTestingModule`. */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  app.useGlobalPipes(contractValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  // No enableShutdownHooks(): runService's stopOnSignals (graceful-shutdown.ts) owns SIGTERM and SIGINT.
  serveApiDocs(app, options.service);
  observeHttpDurations(app);
  // JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE rather than a string the validators misread.
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  traceRequests(fastify);
}
