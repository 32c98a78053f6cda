import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ERROR_STATUS, ErrorBody, ErrorCode } from '@boxoffice/contracts/errors/error-codes';
import { DomainError, OutcomeUnknownError, WaitingRoomRefusal } from '@boxoffice/errors/domain-error';
import { isDependencyDown } from '@boxoffice/errors/dependency-down';

const RETRY_AFTER_SECONDS = '1';
/** The 503s and the waiting room's 429: nothing was kept, and asking again later is safe. */
const RETRY_LATER_CODES = new Set<ErrorCode>([
  'UNAVAILABLE',
  'OVERLOADED',
  'WAITING_ROOM_CLOSED',
  'WAITING_ROOM',
]);
/** Answers given by the thousand while the service works as meant: no log line of their own. */
const QUIET_CODES = new Set<ErrorCode>(['OVERLOADED', 'WAITING_ROOM', 'WAITING_ROOM_CLOSED']);
/** The 401s: the caller is told to present a bearer token (RFC 6750), a service's or a buyer's. */
const BEARER_CHALLENGE_CODES = new Set<ErrorCode>(['UNAUTHORIZED', 'UNAUTHENTICATED']);
/** Codes a dependency that is down or lost an answer causes, not a bug. */
const DEPENDENCY_CODES = new Set<ErrorCode>(['UNAVAILABLE', 'OUTCOME_UNKNOWN']);

/** The one place where errors become HTTP: every error body is `{ code, message, details?, queue? }`. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof DomainError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      ...(error instanceof WaitingRoomRefusal ? { queue: error.queue } : {}),
    };
  }
  if (isDependencyDown(error)) {
    return { code: 'UNAVAILABLE', message: 'A dependency is unavailable; nothing was changed. Retry later.' };
  }
  if (error instanceof HttpException) return fromHttpStatus(error.getStatus(), error.message);
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number') return fromHttpStatus(status, (error as Error).message);
  return { code: 'INTERNAL', message: 'Internal error' };
}

function fromHttpStatus(status: number, message: string): ErrorBody {
  const byStatus: Record<number, ErrorCode> = {
    400: 'VALIDATION_FAILED',
    401: 'UNAUTHORIZED',
    404: 'ROUTE_NOT_FOUND',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    503: 'UNAVAILABLE',
  };
  const code = byStatus[status] ?? (status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL');
  return { code, message };
}

const logger = new Logger('http');

/** Answers `error` as its contract error body, status and headers, with the one log line its kind deserves. */
export function sendProblem(reply: FastifyReply, error: unknown): void {
  const body = toErrorBody(error);
  const status = ERROR_STATUS[body.code];
  const reason = error instanceof Error ? error.message : String(error);
  // A dependency being down is expected during an outage: one line each, not a stack trace.
  // Shedding load is the service working as meant, and comes by the thousand: no line at all. So do a waiting room's
  // refusals, and its closed queue's 503s (the room says that itself, once in a while).
  if (QUIET_CODES.has(body.code)) logger.debug?.(`${status} ${body.code}: ${reason}`);
  else if (DEPENDENCY_CODES.has(body.code)) logger.warn(`${status} ${body.code}: ${reason}`);
  else if (status >= 500) logger.error(error instanceof Error ? (error.stack ?? reason) : reason);
  if (RETRY_LATER_CODES.has(body.code)) reply.header('Retry-After', RETRY_AFTER_SECONDS);
  if (BEARER_CHALLENGE_CODES.has(body.code)) reply.header('WWW-Authenticate', 'Bearer'); // RFC 6750
  // Where the client can learn the outcome, once it is known.
  if (error instanceof OutcomeUnknownError) reply.header('Location', error.location);
  reply.status(status).send(body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    sendProblem(host.switchToHttp().getResponse<FastifyReply>(), error);
  }
}
