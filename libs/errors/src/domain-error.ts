import { ERROR_STATUS, type ErrorCode, type ErrorDetail } from '@boxoffice/contracts/errors/error-codes';

/** A refusal the domain understands; its code decides the HTTP status, in `problem.filter.ts` only. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    // A refusal is an answer, not a fault: no stack to capture (a sold-out storm makes thousands a second).
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERROR_STATUS[code] < 500) Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.code = code;
    this.details = details;
  }
}

/**
 * A failure after which nobody can tell yet whether the work took effect (its database's answer was lost): the
 * resource at `location` may or may not exist. Neither a refusal nor "nothing was kept".
 */
export class OutcomeUnknownError extends DomainError {
  constructor(
    readonly location: string,
    message: string,
  ) {
    super('OUTCOME_UNKNOWN', message);
  }
}

/**
 * 503 UNAVAILABLE for a call that never reached its dependency (no connection could be made): nothing it asked was
 * done, unlike a call sent and not answered in time, which may still be applied.
 */
export class NotSentError extends DomainError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/** A definite "no" from the domain (a 4xx in the contract): asking again unchanged gets the same answer. */
export function isRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && ERROR_STATUS[error.code] < 500;
}

/**
 * 429 WAITING_ROOM: the sale's room is on and the request has no valid admission token; says where to queue.
 * `keyMayAnswer`: the token is genuine and the request's own Idempotency-Key may hold the order it bought (expired,
 * from before the queue was reopened): a kept order under the key answers instead (docs/contract.md §2).
 */
export class WaitingRoomRefusal extends DomainError {
  constructor(
    readonly queue: string,
    message: string,
    readonly keyMayAnswer = false,
  ) {
    super('WAITING_ROOM', message);
  }
}

/** 503 WAITING_ROOM_CLOSED: the room is on and its queue is gone. `keyMayAnswer` as for WaitingRoomRefusal. */
export class WaitingRoomClosed extends DomainError {
  constructor(
    message: string,
    readonly keyMayAnswer = false,
  ) {
    super('WAITING_ROOM_CLOSED', message);
  }
}
