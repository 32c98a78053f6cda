import type { ErrorCode } from '@boxoffice/contracts/errors/error-codes';
import { isDependencyDown } from './dependency-down';
import { DomainError } from './domain-error';

/**
 * The contract's code for an error, without building an HTTP body: a domain error's own code, UNAVAILABLE when a
 * dependency is down, otherwise INTERNAL (a bug). For an error from the domain, the code `problem.filter.ts` answers
 * with; only that filter also maps errors from HTTP itself (a bad route, a body too large).
 */
export function errorCode(error: unknown): ErrorCode {
  if (error instanceof DomainError) return error.code;
  return isDependencyDown(error) ? 'UNAVAILABLE' : 'INTERNAL';
}
