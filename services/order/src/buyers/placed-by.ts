import type { CreateOrderBody } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';

/** A POST /orders body once its buyer is known: the userId is the one the order is taken for. */
export type PlacedOrder = Omit<CreateOrderBody, 'userId'> & { userId: string };

/**
 * The buyer of an order or a waiting-room entry (docs/contract.md §2, _Buyers_): the token's `sub` when a token named
 * one, which a body's userId may repeat but not contradict (403 BUYER_MISMATCH); without a token (`buyer` null), the
 * body's userId, then required.
 */
export function placedBy<T extends { userId?: string | null }>(
  body: T,
  buyer: string | null,
): Omit<T, 'userId'> & { userId: string } {
  const userId = body.userId ?? undefined;
  if (buyer === null) {
    if (userId !== undefined) return { ...body, userId };
    throw new DomainError('VALIDATION_FAILED', 'The request is not valid', [
      { field: 'userId', messages: ["userId is required without a buyer's bearer token"] },
    ]);
  }
  if (userId !== undefined && userId !== buyer)
    throw new DomainError(
      'BUYER_MISMATCH',
      "The body's userId is not the buyer the bearer token names: leave it out, or send the token's own",
    );
  return { ...body, userId: buyer };
}
