import { Pool } from 'undici';

export interface BuyersOptions {
  /** The order service buyers send POST /orders to (several: buyers spread over them). */
  orderUrls: string[];
  eventId: string;
  requests: number;
  concurrency: number;
  /** Share of buyers paying with a card that is declined. */
  declineRate: number;
  users: number;
  /** A 503, a 504 OUTCOME_UNKNOWN or a lost answer is retried this many times with the same Idempotency-Key. */
  retries: number;
  /** Buyers arrive at this rate (request i is sent no earlier than i / rate s after the start), so a fault mid-sale meets buyers. */
  ratePerSecond: number;
}

/** What the buyers saw: the order ids answered 202, and every other final answer by kind. */
export interface BuyersTally {
  sent: number;
  accepted: Set<string>;
  refused: Record<string, number>;
  /** 503 even after the retries: nothing may have been kept for these. */
  unavailable: number;
  /** No answer, or OUTCOME_UNKNOWN, after the retries (connection refused, timeout): their fate is unknown to the client. */
  lost: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** A flash sale's buyers, `concurrency` at a time over keep-alive connections; resolves when all have an answer. */
export function startBuyers(options: BuyersOptions): { tally: BuyersTally; done: Promise<BuyersTally> } {
  const tally: BuyersTally = { sent: 0, accepted: new Set(), refused: {}, unavailable: 0, lost: 0 };
  const pools = orderPools(options.orderUrls, options.concurrency);
  let next = 0;
  const startedAt = Date.now();
  const buyer = async () => {
    for (let i = next++; i < options.requests; i = next++) {
      const due = startedAt + (i * 1000) / options.ratePerSecond;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await buy(i);
    }
  };
  const buy = async (i: number) => {
    tally.sent++;
    const declined = (i * 7919) % 100 < options.declineRate * 100;
    const body = JSON.stringify({
      eventId: options.eventId,
      userId: `buyer-${i % options.users}`,
      quantity: 1,
      paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
    });
    const key = `${options.eventId}-${i}`;
    for (let attempt = 0; ; attempt++) {
      // A retry goes to the next instance, as behind a load balancer; the key makes it the same order.
      const outcome = await post(pools[(i + attempt) % pools.length], body, key);
      const retry = (outcome === 'unavailable' || outcome === 'lost') && attempt < options.retries;
      if (retry) {
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
        continue;
      }
      if (outcome === 'unavailable') tally.unavailable++;
      else if (outcome === 'lost') tally.lost++;
      else if ('orderId' in outcome) tally.accepted.add(outcome.orderId);
      else tally.refused[outcome.code] = (tally.refused[outcome.code] ?? 0) + 1;
      return;
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, buyer))
    .then(() => Promise.all(pools.map((pool) => pool.close())))
    .then(() => tally);
  return { tally, done };
}

/** Keep-alive connections to each order instance, `connections` each; an answer that takes too long is lost. */
export function orderPools(urls: string[], connections: number): Pool[] {
  return urls.map(
    (url) =>
      new Pool(url, { connections, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS }),
  );
}

async function post(
  pool: Pool,
  body: string,
  key: string,
): Promise<{ orderId: string } | { code: string } | 'unavailable' | 'lost'> {
  try {
    const response = await pool.request({
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
    });
    const answer = (await response.body.json()) as { orderId?: string; code?: string };
    if (response.statusCode === 202 && answer.orderId) return { orderId: answer.orderId };
    if (response.statusCode === 503) return 'unavailable';
    // The order may or may not have been recorded: as with a lost answer, only the same key can tell.
    if (answer.code === 'OUTCOME_UNKNOWN') return 'lost';
    return { code: answer.code ?? `HTTP_${response.statusCode}` };
  } catch {
    return 'lost';
  }
}
