import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import { currentRequestId, inRequest } from './log-context';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What a caller's id may be; anything else (too long, spaces, control characters) is replaced by a new one. */
const ACCEPTED_ID = /^[\x21-\x7E]{1,128}$/;

type IdentifiedRequest = IncomingMessage & { id?: unknown };

/** A request's id: the caller's `X-Request-Id` if it is a fit one, otherwise a new UUID (Fastify's `genReqId`). */
export function newRequestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}

/** The id Fastify gave the request (copied onto the raw request for middleware), made here if it has none. */
export function requestIdOf(req: IdentifiedRequest): string {
  if (typeof req.id !== 'string') req.id = newRequestId(req);
  return req.id as string;
}

/** The header that carries the current request's id on to a service this one calls; none outside a request. */
export function requestIdHeader(): Record<string, string> {
  const id = currentRequestId();
  return id ? { [REQUEST_ID_HEADER]: id } : {};
}

/** The caller gets the request's id back, and everything done for the request knows it (`requestIdHeader`). */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: IdentifiedRequest, res: ServerResponse, next: () => void): void {
    const id = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, id);
    inRequest(id, next);
  }
}
