import type { Pool } from 'undici';
import type { Buy } from './buyer-drivers';
import type { SaleOptions } from './sale-options';
import type { SaleStack } from './sale-stack';

/** PUT /events/{eventId} on inventory with the operator's token: the sale, created or replaced. */
export async function createSale(
  stack: { serviceUrls: Pick<SaleStack['serviceUrls'], 'inventory'>; adminToken: string },
  options: Pick<SaleOptions, 'eventId' | 'stock' | 'perUserLimit'>,
): Promise<void> {
  const response = await fetch(`${stack.serviceUrls.inventory}/events/${options.eventId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: JSON.stringify({
      name: `npm run sale ${options.eventId}`,
      totalStock: options.stock,
      unitPrice: 4200,
      currency: 'EUR',
      perUserLimit: options.perUserLimit,
    }),
  }).catch((error: Error) => {
    throw new Error(`inventory at ${stack.serviceUrls.inventory} does not answer: ${error.message}`);
  });
  if (response.status !== 200 && response.status !== 201)
    throw new Error(`PUT /events/${options.eventId} answered ${response.status}: ${await response.text()}`);
}

/** Buyer `index`'s user id: `users` distinct ones, in turn. */
export function userOf(options: Pick<SaleOptions, 'users'>, index: number): string {
  return `buyer-${index % options.users}`;
}

/** A buyer's POST /orders, given the admission token a waiting room gave it when the sale has one. */
export type Order = (index: number, admissionToken?: string) => ReturnType<Buy>;

/** One buyer's POST /orders, buyer `index` of the sale, with an Idempotency-Key of its own unless `keys` is false. */
export function buyerOf(
  pool: Pool,
  options: Pick<SaleOptions, 'eventId' | 'users' | 'quantity' | 'declineRate'> & { keys?: boolean },
): Order {
  const keyed = options.keys !== false;
  return async (index, admissionToken) => {
    // Spread evenly: buyer i declines when the running share of declines crosses a whole number.
    const declined = Math.floor((index + 1) * options.declineRate) > Math.floor(index * options.declineRate);
    try {
      const response = await pool.request({
        method: 'POST',
        path: '/orders',
        headers: {
          'content-type': 'application/json',
          ...(keyed && { 'idempotency-key': `${options.eventId}-${index}` }),
          ...(admissionToken && { 'admission-token': admissionToken }),
        },
        body: JSON.stringify({
          eventId: options.eventId,
          userId: userOf(options, index),
          quantity: options.quantity,
          paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
        }),
      });
      if (response.statusCode !== 202) {
        await response.body.dump();
        return { status: response.statusCode };
      }
      const { orderId } = (await response.body.json()) as { orderId: string };
      return { status: 202, orderId };
    } catch {
      return { status: 0 };
    }
  };
}
