import type { EntityManager } from 'typeorm';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';

/**
 * A request's claim on the order id it places. Alone (no Idempotency-Key) the id is the request's own; with a key,
 * racing requests share one id and only one of them may answer, record the order, or give its hold back.
 */
export interface OrderIdClaim {
  /** In the order's transaction: what a racing request already decided, if anything; throws if the claim was lost. */
  decided(tx: EntityManager): Promise<OrderView | DomainError | undefined>;
  /** In the same transaction, once the order is recorded. */
  recorded(tx: EntityManager, order: OrderView): Promise<void>;
  /**
   * After a failure worth retrying: gives the id up, once `release` gave its hold back, if the hold is this
   * request's. A release that fails keeps the id (rethrown): a retry then takes the order under it, with the hold it
   * already has, instead of a second hold that its own first one would push over the buyer's limit.
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
  decided: async () => undefined,
  recorded: async () => undefined,
  giveUp: (release) => release(),
};
