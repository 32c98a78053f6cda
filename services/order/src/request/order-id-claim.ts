import { DomainError } from '@boxoffice/errors/domain-error';

/**
 * A request's claim on the order id it places. Alone (no Idempotency-Key) the id is the request's own; with a key,
 * racing requests share one id and only one of them may answer, record the order, or give its hold back.
 */
export interface OrderIdClaim {
  /**
   * The Idempotency-Key the id is shared under: the order's transaction reads it (what a racing request decided) and
   * stores the answer on it (see order-recording.ts). None for a request without a key.
   */
  readonly key?: string;
  /**
   * After a failure worth retrying: gives the id up, once `release` gave its hold back, if the hold is this
   * request's. A release that fails keeps the id (rethrown): a retry then takes the order under it, with the hold it
   * already has, instead of a second hold that its own first one would push over the buyer's limit. One that may
   * still be applied (sent, not answered) keeps it barred until that could no longer happen, so that no retry is
   * answered 202 on a hold then released.
   */
  giveUp(release: () => Promise<void>): Promise<void>;
}

/** The 503 of POST /orders: nothing of this attempt was kept, and the client may retry (with its key). */
export function orderNotTaken(why?: string): DomainError {
  return new DomainError(
    'UNAVAILABLE',
    `The order could not be taken right now${why ? ` (${why})` : ''}; nothing was kept. Retry later.`,
  );
}

export const SOLE_CLAIM: OrderIdClaim = {
  giveUp: (release) => release(),
};
