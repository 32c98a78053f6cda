import type { ServerResponse } from 'node:http';
import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
  type LoggerService,
  type Type,
} from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import type { LevelWithSilent, Logger as Pino } from 'pino';
import type { Options } from 'pino-http';
import { RequestIdMiddleware, requestIdOf } from './request-id';

const EVERY_ROUTE = { path: '{*path}', method: RequestMethod.ALL };

@Module({})
class LoggedService implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes(EVERY_ROUTE);
  }
}

/**
 * `service` with its logs in `logger` (see createLogger) through nestjs-pino: Nest's `Logger` goes to it once the
 * app calls `app.useLogger(app.get(Logger))`, each HTTP request's lines carry its `requestId`, and the line
 * pino-http writes per request is at debug (a 5xx higher): a sale's storm of requests writes nothing at info.
 */
export function withLogging(service: Type<unknown> | DynamicModule, logger: Pino): DynamicModule {
  const pinoHttp: Options = {
    logger,
    genReqId: requestIdOf,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel: (_req, res) => levelOfAnswer(res),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // pino-http's own error for a 5xx is a made-up one with a stack of its internals: the status says it all.
    customErrorObject: (_req, _res, _error, { err: _made, ...rest }) => rest,
  };
  return {
    module: LoggedService,
    imports: [LoggerModule.forRoot({ pinoHttp, forRoutes: [EVERY_ROUTE] }), service],
  };
}

/** Nest's `Logger` on `logger` before the app exists (NestFactory's `logger`), so that a failed boot logs JSON too. */
export function nestLoggerOn(logger: Pino): LoggerService {
  const params: Params = { pinoHttp: { logger } };
  return new Logger(new PinoLogger(params), params);
}

/**
 * 503 is load shed (OVERLOADED, by the thousand) or a dependency down, whose cause the problem filter has logged
 * already; 500 is a bug; other 5xx are warnings; everything else is routine.
 */
function levelOfAnswer(res: ServerResponse): LevelWithSilent {
  if (res.statusCode === 500) return 'error';
  if (res.statusCode > 500 && res.statusCode !== 503) return 'warn';
  return 'debug';
}
