import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { currentRequestId } from './log-context';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What a caller's id may be; anything else (too long, spaces, control characters) is replaced by a new one. */
const ACCEPTED_ID = /^[\x21-\x7E]{1,128}$/;

/** A request's id: the caller's `X-Request-Id` if it is a fit one, otherwise a new UUID (Fastify's `genReqId`). */
export function newRequestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}

/** The header that carries the current request's id on to a service this one calls; none outside a request. */
export function requestIdHeader(): Record<string, string> {
  const id = currentRequestId();
  return id ? { [REQUEST_ID_HEADER]: id } : {};
}
