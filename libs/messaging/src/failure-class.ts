import { isDependencyDown } from '@boxoffice/errors/dependency-down';
import { RefundRefusedError } from '@boxoffice/errors/refund-refused';
import type { DeadLetterReason } from './message-headers';

/**
 * What a failed delivery is, decided here and nowhere else (docs/contract.md §5 "Retries and dead letters"):
 * - `poison`: the message itself is unusable (too large, not JSON, refused by its validator): parked at once,
 *   since no retry can fix it;
 * - `transient`: a dependency is down or answered "not now", or the handler was aborted (out of time, shutdown): retried without
 *   limit, never parked, so no compensation is lost to an outage;
 * - `bug`: anything else (an error nobody classified, a peer's 500, a refund refused): retried up to `maxAttempts`, then parked
 *   with reason `attempts-exhausted`, counted and alerted (`npm run dlq -- check`), replayed once fixed.
 */
export type FailureClass = 'poison' | 'transient' | 'bug';

/** Thrown before the handler runs: the message cannot be read as its subscription's payload. */
export class PoisonMessage extends Error {
  constructor(
    readonly reason: Exclude<DeadLetterReason, 'attempts-exhausted'>,
    message: string,
  ) {
    super(message);
  }
}

/** A handler whose signal was aborted: it ran past `handlerTimeoutMs`, or the consumer is stopping. */
export class HandlerAborted extends Error {}

/**
 * `isTransient` adds failures a consumer knows to be transient besides a dependency down (a test's own error);
 * it never turns a poison message into a retried one.
 */
export function classifyFailure(
  error: unknown,
  isTransient: (error: unknown) => boolean = () => false,
): FailureClass {
  if (error instanceof PoisonMessage) return 'poison';
  // A processor's "no" is an answer, not an outage: parked after its attempts and alerted, whatever it reads like.
  if (error instanceof RefundRefusedError) return 'bug';
  if (error instanceof HandlerAborted || isDependencyDown(error) || isTransient(error)) return 'transient';
  return 'bug';
}
