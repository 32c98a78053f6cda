import { ERROR_STATUS, type ErrorCode, type ErrorDetail } from '@boxoffice/contracts/errors/error-codes';

/** A refusal the domain understands; its code decides the HTTP status, in `problem.filter.ts` only. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

/** A definite "no" from the domain (a 4xx in the contract): asking again unchanged gets the same answer. */
export function isRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && ERROR_STATUS[error.code] < 500;
}
