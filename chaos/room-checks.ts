import { roomKeys } from '@boxoffice/contracts/order/room-keys';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import type { Violation, ViolationCode } from '../ops/audit/find-violations';
import type { ChaosStack } from './chaos-stack';
import type { RoomBuyersTally, SeenPurchase, SeenRoomAnswer, SeenSoldOut } from './room-buyers-tally';

const PREFIX = INFRASTRUCTURE_DEFAULTS.redisPrefix;
const EXAMPLES = 5;

/** Turns the sale's waiting room on (the operator's PUT); again after a wipe, it reopens the queue (a new epoch). */
export async function putRoom(orderUrl: string, eventId: string, admitPerSecond: number): Promise<void> {
  const response = await fetch(`${orderUrl}/events/${eventId}/waiting-room`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...AS_ADMIN },
    body: JSON.stringify({ enabled: true, admitPerSecond }),
  });
  if (response.status !== 200)
    throw new Error(`PUT waiting room: ${response.status} ${await response.text()}`);
}

/** The room's serving counter (`admitted` of GET .../waiting-room) as read between two instants of the client. */
export interface ServingSample {
  sentAt: number;
  answeredAt: number;
  admitted: number;
}

/** Reads the room's status every `everyMs` until stopped: how fast it admitted, seen from outside. */
export function watchRoom(
  orderUrl: string,
  eventId: string,
  everyMs = 250,
): { samples: ServingSample[]; stop(): void } {
  const samples: ServingSample[] = [];
  const timer = setInterval(() => {
    const sentAt = Date.now();
    fetch(`${orderUrl}/events/${eventId}/waiting-room`, { signal: AbortSignal.timeout(2_000) })
      .then(async (response) => {
        const body = (await response.json()) as { admitted?: number };
        if (response.status === 200 && typeof body.admitted === 'number')
          samples.push({ sentAt, answeredAt: Date.now(), admitted: body.admitted });
      })
      .catch(() => undefined); // order down (a crash): no sample
  }, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

function violation(code: ViolationCode, where: string, what: string, examples: string[]): Violation[] {
  if (!examples.length) return [];
  const shown = examples.slice(0, EXAMPLES).join('; ');
  return [{ code, where, detail: `${examples.length} ${what}: ${shown}` }];
}

/**
 * Every arrival queued with exactly one entry, and the room's positions 1..n given once each, no gap (Redis's own
 * record); the buyers' own sightings: one entry each (none given twice), no position moved, no admission taken back.
 */
export async function checkEntries(
  stack: ChaosStack,
  eventId: string,
  tally: RoomBuyersTally,
  arrivals: number,
): Promise<Violation[]> {
  const keys = roomKeys(PREFIX, eventId);
  const [buyers, entries] = await stack.redis.command((redis) =>
    Promise.all([redis.hgetall(keys.buyers), redis.hgetall(keys.entries)]),
  );
  const problems: string[] = [];
  if (tally.queued !== arrivals) problems.push(`${tally.queued} of ${arrivals} arrivals queued`);
  const ids = Object.values(buyers);
  if (ids.length !== arrivals) problems.push(`Redis has ${ids.length} buyers queued, ${arrivals} arrived`);
  const positions = ids.map((id) => Number(entries[`${id}:position`] ?? 0)).sort((a, b) => a - b);
  const wrong = positions.filter((position, i) => position !== i + 1);
  if (wrong.length)
    problems.push(`positions not 1..${ids.length} once each (${wrong.length} off, first ${wrong[0]})`);
  for (const [userId, seen] of tally.entries) {
    // A 201 whose answer was lost (order killed) is answered 200 to the retry: at most one 201, never two entries.
    if (seen.entryIds.length !== 1 || seen.created > 1)
      problems.push(`${userId} given ${seen.entryIds.length} entries, ${seen.created} answered 201`);
    const id = seen.entryIds[0];
    if (id && buyers[userId] !== id) problems.push(`${userId} told entry ${id}, Redis has ${buyers[userId]}`);
  }
  return [
    ...violation('ROOM_ENTRIES_BROKEN', eventId, 'entry problems', problems),
    ...violation('ROOM_POSITION_MOVED', eventId, 'sightings moved back', tally.anomalies),
  ];
}

/**
 * The serving counter never ran ahead of `rate` a second, allowing one second's burst: for any two reads, what it
 * admitted between them is at most rate × (the longest the time between them can have been + 1 s).
 */
export function checkAdmissionRate(eventId: string, samples: ServingSample[], rate: number): Violation[] {
  const sorted = [...samples].sort((a, b) => a.sentAt - b.sentAt);
  const examples: string[] = [];
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) {
      const seconds = (sorted[j].answeredAt - sorted[i].sentAt) / 1000;
      const admitted = sorted[j].admitted - sorted[i].admitted;
      if (admitted > rate * (seconds + 1))
        examples.push(`${admitted} admitted in at most ${seconds.toFixed(2)} s at ${rate}/s`);
    }
  if (sorted.length < 10) examples.push(`only ${sorted.length} reads of the room's status`);
  return violation('ROOM_ADMITTED_TOO_FAST', eventId, 'windows too fast', examples);
}

/** The fastest the counter was seen to move over a second or more (admitted a second), for the log. */
export function fastestAdmission(samples: ServingSample[]): number {
  let fastest = 0;
  for (const from of samples)
    for (const to of samples) {
      const seconds = (to.sentAt - from.answeredAt) / 1000;
      if (seconds >= 1) fastest = Math.max(fastest, (to.admitted - from.admitted) / seconds);
    }
  return fastest;
}

export interface OrderRow {
  order_id: string;
  user_id: string;
  key: string | null;
}

/**
 * Every order of the sale bought with an admission (the room was on throughout): its Idempotency-Key holds a spent
 * token in Redis, the one its buyer was answered 202 with. `lostEpochs`: orders answered 202 with a token of a queue
 * Redis lost since (a wipe), whose spent records went with it: the buyers' record vouches for those. `keyless`: orders
 * a scenario bought without a key on purpose, each needing a spent record without one.
 */
export async function checkOrdersAdmitted(
  stack: ChaosStack,
  eventId: string,
  tally: RoomBuyersTally,
  options: { lostEpochs?: Set<string>; keyless?: Set<string> } = {},
): Promise<Violation[]> {
  const schema = INFRASTRUCTURE_DEFAULTS.schemas.order;
  const orders = await stack.postgres.query<OrderRow>(
    `SELECT o.order_id, o.user_id, k.key FROM "${schema}".orders o
     LEFT JOIN "${schema}".idempotency_keys k ON k.resource_id = o.order_id WHERE o.event_id = $1`,
    [eventId],
    'boxoffice',
  );
  return ordersAdmitted(eventId, orders, await spentTokens(stack, eventId), tally.purchases, options);
}

/**
 * `checkOrdersAdmitted` on what it read. Redis keeps one spent record per token, naming one spender: a token that
 * bought twice leaves the second order (under another key) without one, ORDER_WITHOUT_ADMISSION. Where no record can
 * tell (a lost epoch's tokens, vouched for by the buyers' 202s), one token answered 202 for two orders is
 * ADMISSION_BOUGHT_TWICE.
 */
export function ordersAdmitted(
  eventId: string,
  orders: OrderRow[],
  records: Array<[string, string]>,
  purchases: SeenPurchase[],
  { lostEpochs = new Set(), keyless = new Set() }: { lostEpochs?: Set<string>; keyless?: Set<string> } = {},
): Violation[] {
  const spent = new Map(records.filter(([spender]) => spender !== '-'));
  const spentWithoutKey = records.length - spent.size;
  const bought = new Map<string, string>(); // key -> jti of its 202, as the buyer saw it
  for (const purchase of purchases) if (purchase.orderId) bought.set(purchase.key, purchase.jti);
  const lostJtis = new Set(purchases.filter((p) => p.orderId && lostEpochs.has(p.epoch)).map((p) => p.jti));
  const without: string[] = [];
  if (keyless.size > spentWithoutKey)
    without.push(`${keyless.size} orders bought without a key, ${spentWithoutKey} tokens spent without one`);
  for (const order of orders) {
    if (keyless.has(order.order_id) && !order.key) continue;
    const jti = order.key ? (spent.get(`k:${order.key}`) ?? bought.get(order.key)) : undefined;
    const vouched = jti !== undefined && (spent.get(`k:${order.key}`) === jti || lostJtis.has(jti));
    if (!order.key || !jti || !vouched) {
      without.push(`${order.order_id} of ${order.user_id} (key ${order.key ?? 'none'})`);
      continue;
    }
    if (bought.has(order.key) && bought.get(order.key) !== jti)
      without.push(`${order.order_id}: bought with ${bought.get(order.key)}, Redis spent ${jti} for it`);
  }
  const answered = new Map<string, Set<string>>();
  for (const purchase of purchases.filter((p) => p.orderId))
    answered.set(purchase.jti, (answered.get(purchase.jti) ?? new Set()).add(purchase.orderId!));
  const twice = [...answered]
    .filter(([, ids]) => ids.size > 1)
    .map(([jti, ids]) => `${jti} answered 202 for ${[...ids].join(', ')}`);
  return [
    ...violation('ORDER_WITHOUT_ADMISSION', eventId, 'orders without a spent admission', without),
    ...violation('ADMISSION_BOUGHT_TWICE', eventId, 'admissions answered 202 for two orders', twice),
  ];
}

/** The room's spent records: [spender (`k:<Idempotency-Key>` or `-`), the token's jti]. */
async function spentTokens(stack: ChaosStack, eventId: string): Promise<Array<[string, string]>> {
  const prefix = `${PREFIX}:room:{${eventId}}:spent:`;
  return stack.redis.command(async (redis) => {
    const found: Array<[string, string]> = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      const values = keys.length ? await redis.mget(keys) : [];
      keys.forEach((key, i) => values[i] !== null && found.push([values[i]!, key.slice(prefix.length)]));
    } while (cursor !== '0');
    return found;
  });
}

/**
 * How long after the sale sold out the room may still answer as if it were not: it reads the stock every second
 * (contract §2, _The room follows its sale's stock_), and the order's CONFIRMED and inventory's ledger are written a
 * moment apart.
 */
export const TOLD_SOLD_OUT_WITHIN_MS = 5_000;

/**
 * When the sale sold out: its last order CONFIRMED, if the confirmed orders took every one of its `stock` tickets
 * (nothing held then, nothing to come back); null if it did not sell out. Postgres's clock, the same machine's.
 */
export async function soldOutAt(stack: ChaosStack, eventId: string, stock: number): Promise<number | null> {
  const schema = INFRASTRUCTURE_DEFAULTS.schemas.order;
  const [row] = await stack.postgres.query<{ sold: number | null; last: number | null }>(
    `SELECT sum(quantity)::int AS sold, (extract(epoch FROM max(updated_at)) * 1000)::float8 AS last
     FROM "${schema}".orders WHERE event_id = $1 AND status = 'CONFIRMED'`,
    [eventId],
    'boxoffice',
  );
  return row && row.sold !== null && row.sold >= stock ? row.last : null;
}

/**
 * Once the sale sold out at `soldOutAt`, the room tells whoever asks, after `withinMs`: a buyer queuing is answered
 * 409 SOLD_OUT, an entry still waiting `soldOut: true`; never a new entry nor a place in the queue (an entry whose
 * turn came keeps it, by either route; an expired one says so). A buyer told stops asking, so each waiting one is
 * told at its next poll: `line` says how many were told and the last one how long after. A sale that did not sell
 * out (`soldOutAt` null) tells nobody so: ROOM_TOLD_SOLD_OUT_UNSOLD names whoever was.
 */
export function toldSoldOut(
  eventId: string,
  answers: SeenRoomAnswer[],
  told: SeenSoldOut[],
  soldOutAt: number | null,
  withinMs = TOLD_SOLD_OUT_WITHIN_MS,
): { violations: Violation[]; line: string } {
  if (soldOutAt === null)
    return {
      violations: violation(
        'ROOM_TOLD_SOLD_OUT_UNSOLD',
        eventId,
        'buyers told sold out by a sale that did not sell out',
        told.map((t) => `${t.route} of ${t.userId}`),
      ),
      line: told.length ? `not sold out, yet ${told.length} told so` : 'not sold out: nobody to tell',
    };
  const late = answers
    .filter((a) => a.sentAt >= soldOutAt + withinMs && (a.status === 200 || a.status === 201))
    .filter((a) => !a.soldOut && !a.admitted && !a.expired)
    .map(
      (a) =>
        `${a.route} of ${a.userId} ${((a.sentAt - soldOutAt) / 1000).toFixed(1)} s after: ${a.status} ${a.route === 'enter' ? 'an entry' : 'waiting'}`,
    );
  const waiting = told.filter((t) => t.route === 'look');
  const last = Math.max(...waiting.map((t) => t.at - soldOutAt));
  const line =
    `sold out; ${told.length} told (${waiting.length} waiting, ${told.length - waiting.length} arriving)` +
    (waiting.length ? `, the last waiting one ${(last / 1000).toFixed(1)} s after the sell-out` : '');
  return {
    violations: violation(
      'ROOM_NOT_TOLD_SOLD_OUT',
      eventId,
      `answers more than ${withinMs / 1000} s after the sell-out not SOLD_OUT`,
      late,
    ),
    line,
  };
}

/** `toldSoldOut` for a scenario's sale of `stock` tickets, its line logged. */
export async function checkToldSoldOut(
  stack: ChaosStack,
  eventId: string,
  tally: RoomBuyersTally,
  stock: number,
  log: (line: string) => void,
): Promise<Violation[]> {
  const { violations, line } = toldSoldOut(
    eventId,
    tally.roomAnswers,
    tally.toldSoldOut,
    await soldOutAt(stack, eventId, stock),
  );
  log(`${eventId}: ${line}`);
  return violations;
}
