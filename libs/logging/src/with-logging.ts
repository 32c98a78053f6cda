import { DynamicModule, Module, type LoggerService, type Type } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';

/** The service's pino logger, for what logs outside Nest's `Logger` (logRequests). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Module({})
class LoggedService {}

/**
 * `service` with its logs in `logger` (see createLogger) through nestjs-pino: Nest's `Logger` goes to it once the
 * app calls `app.useLogger(app.get(Logger))`. No pino-http middleware: each request's id and its line are Fastify
 * hooks (logRequests), so that a request whose line is not written costs no logger of its own.
 */
export function withLogging(service: Type<unknown> | DynamicModule, logger: Pino): DynamicModule {
  return {
    module: LoggedService,
    imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] }), service],
    providers: [{ provide: ROOT_LOGGER, useValue: logger }],
    exports: [ROOT_LOGGER],
  };
}

/** Nest's `Logger` on `logger` before the app exists (NestFactory's `logger`), so that a failed boot logs JSON too. */
export function nestLoggerOn(logger: Pino): LoggerService {
  const params: Params = { pinoHttp: { logger } };
  return new Logger(new PinoLogger(params), params);
}
