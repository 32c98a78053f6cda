import type { ErrorCode, ErrorDetail } from '@boxoffice/contracts/errors/error-codes';

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
