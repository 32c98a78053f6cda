import request from 'supertest';
import { AS_ADMIN } from './test-tokens';

type HttpAgent = ReturnType<typeof request>;

/** Inventory as a test reaches it: its base URL, a supertest agent, or anything with `http()` (a test app). */
export type InventoryHttp = string | HttpAgent | { http(): HttpAgent };

function agentOf(inventory: InventoryHttp): HttpAgent {
  if (typeof inventory === 'string') return request(inventory);
  return 'http' in inventory && typeof inventory.http === 'function'
    ? inventory.http()
    : (inventory as HttpAgent);
}

export interface SaleChange {
  totalStock: number;
  perUserLimit?: number;
  unitPrice?: number;
  currency?: string;
  name?: string;
}

/**
 * Creates (201) or changes (200) a sale with PUT /events/{eventId}; `status` insists on one of them, for a test
 * that means to create a new sale. Price and name default to those of any sale, 42.00 EUR. Sent with ADMIN_TOKEN.
 */
export async function putSale(
  inventory: InventoryHttp,
  eventId: string,
  sale: SaleChange,
  { status }: { status?: 200 | 201 } = {},
): Promise<void> {
  await agentOf(inventory)
    .put(`/events/${eventId}`)
    .set(AS_ADMIN)
    .send({ name: `Sale ${eventId}`, unitPrice: 4200, currency: 'EUR', ...sale })
    .expect((response) => {
      const expected = status ? [status] : [200, 201];
      if (!expected.includes(response.status)) {
        throw new Error(`PUT /events/${eventId}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    });
}

export interface SaleCounts {
  totalStock: number;
  available: number;
  held: number;
  sold: number;
  /** The same counts from the ledger (Postgres); `available + held + sold` above are Redis's. */
  ledger: { available: number; held: number; sold: number };
}

/**
 * A sale as GET /events/{eventId} reports it, after checking conservation: `available + held + sold = totalStock`
 * in Redis, and in the ledger either
 *  - `'equal'` (default): the very same counts, as in a system at rest;
 *  - `'conserved'`: counts of their own that add up to totalStock too, for tests that make Redis and Postgres
 *    differ on purpose (a crash between the two writes).
 */
export async function saleCounts(
  inventory: InventoryHttp,
  eventId: string,
  { ledger = 'equal' }: { ledger?: 'equal' | 'conserved' } = {},
): Promise<SaleCounts> {
  const { body } = await agentOf(inventory).get(`/events/${eventId}`).expect(200);
  const counts = body as SaleCounts;
  expect(counts.available + counts.held + counts.sold).toBe(counts.totalStock);
  if (ledger === 'equal') {
    expect(counts.ledger).toEqual({ available: counts.available, held: counts.held, sold: counts.sold });
  } else {
    expect(counts.ledger.available + counts.ledger.held + counts.ledger.sold).toBe(counts.totalStock);
  }
  return counts;
}
