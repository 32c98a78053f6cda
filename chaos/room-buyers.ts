import { setTimeout as sleep } from 'node:timers/promises';
import { pollDelayMs } from '@boxoffice/contracts/order/room-polling';
import type { Pool } from 'undici';
import { orderPools } from './buyers';
import { newRoomTally, noteRoomAnswer, seenEntry, type RoomBuyersTally } from './room-buyers-tally';

export interface RoomBuyersOptions {
  /** The order service's instances: buyers spread over them, and a retry goes to the next. */
  orderUrls: string[];
  eventId: string;
  /** Buyers arriving at the room, each its own identity: `<userPrefix>-<i>`. */
  arrivals: number;
  userPrefix: string;
  /** Arrivals in flight at most (the pollers' requests come on top, over the same connections). */
  concurrency: number;
  /** Arrival i is sent no earlier than i / rate s after the start; Infinity: as fast as order answers. */
  arrivalsPerSecond: number;
  /** Which arrivals, once queued, keep polling and buy when admitted (a sample keeps a big storm short). */
  buys(i: number): boolean;
  /** Share of buyers paying with a card that is declined. */
  declineRate: number;
  /** A 503 or a lost answer is asked again (honouring `Retry-After`) for this long at most. */
  retryForMs: number;
  /** A buyer sent back to the queue (admission refused, expired, its entry lost) queues again this often at most. */
  requeues: number;
  /** Headers naming the buyer, when order takes buyer tokens (`Authorization: Bearer ...`); else the body's userId. */
  authorize?(userId: string): Promise<Record<string, string>>;
}

const MAX_BACKOFF_MS = 2_000;

type Answer = { status: number; body: Record<string, unknown>; retryAfter: number | null } | 'lost';

/**
 * A waiting room's buyers (docs/contract.md §2, _The waiting room_): each arrives, queues (one entry per buyer), and,
 * if it is one that buys, polls its entry honouring `pollAfterSeconds` and buys once admitted with its
 * `Admission-Token` and an `Idempotency-Key` of its own; sent back to the queue (a token refused, an admission
 * expired, the entry gone with a wiped queue), it queues again. Told the sale is sold out (its entry `soldOut: true`,
 * or 409 SOLD_OUT as it queues), it stops. Resolves when every buyer is done.
 */
export function startRoomBuyers(options: RoomBuyersOptions): {
  tally: RoomBuyersTally;
  done: Promise<RoomBuyersTally>;
} {
  const tally = newRoomTally();
  const pools = orderPools(options.orderUrls, options.concurrency);
  const room = `/events/${options.eventId}/waiting-room/entries`;
  const count = (what: string) => (tally.answers[what] = (tally.answers[what] ?? 0) + 1);

  /**
   * Asks until an answer that is not a 503 or lost, for `retryForMs` at most: the last answer, and when the attempt
   * that got it was sent.
   */
  const ask = async (
    i: number,
    what: 'enter' | 'look' | 'order',
    request: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string },
  ): Promise<{ answer: Answer; sentAt: number }> => {
    const giveUpAt = Date.now() + options.retryForMs;
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      const answer = await send(pools[(i + attempt) % pools.length], request);
      const told = answer !== 'lost' && answer.body.soldOut === true ? 'soldOut' : '';
      count(`${what} ${answer === 'lost' ? 'lost' : `${answer.status} ${codeOf(answer) ?? told}`.trim()}`);
      // Every answer of the room, each attempt's: what a buyer was told while it was closed counts too.
      if (what === 'enter' || what === 'look')
        tally.roomAnswers.push({
          route: what,
          userId: `${options.userPrefix}-${i}`,
          sentAt,
          answeredAt: Date.now(),
          status: answer === 'lost' ? 0 : answer.status,
          code: answer === 'lost' ? null : codeOf(answer),
          // An entry whose turn came: its token (look), or its place served (enter: pollAfterSeconds 0).
          admitted:
            answer !== 'lost' &&
            (answer.body.admitted === true || (what === 'enter' && answer.body.pollAfterSeconds === 0)),
          soldOut: answer !== 'lost' && answer.body.soldOut === true,
          expired: answer !== 'lost' && answer.body.expired === true,
        });
      const retry = answer === 'lost' || answer.status === 503;
      if (!retry || Date.now() >= giveUpAt) return { answer, sentAt };
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 3));
      await sleep(answer !== 'lost' && answer.retryAfter !== null ? answer.retryAfter * 1000 : backoff);
    }
  };

  const noteRoom = (userId: string, answer: Answer, admittedBefore: Set<string>) =>
    answer === 'lost' ? undefined : noteRoomAnswer(tally, userId, answer.status, answer.body, admittedBefore);

  const arrive = async (i: number) => {
    const userId = `${options.userPrefix}-${i}`;
    const identity = (await options.authorize?.(userId)) ?? {};
    const headers = { 'content-type': 'application/json', ...identity };
    const enterBody = JSON.stringify(options.authorize ? {} : { userId });
    const admittedBefore = new Set<string>();
    const enter = async (): Promise<Record<string, unknown> | null> => {
      const { answer } = await ask(i, 'enter', {
        method: 'POST',
        path: room,
        headers,
        body: enterBody,
      });
      noteRoom(userId, answer, admittedBefore);
      if (answer !== 'lost' && answer.status === 409 && codeOf(answer) === 'SOLD_OUT') {
        tally.toldSoldOut.push({ userId, route: 'enter', at: Date.now() });
        return null;
      }
      if (answer === 'lost' || (answer.status !== 201 && answer.status !== 200)) return null;
      return answer.body;
    };
    tally.sent++;
    const first = await enter();
    if (!first) return null;
    tally.queued++;
    return options.buys(i) ? () => buy(first) : null;

    async function buy(queued: Record<string, unknown>) {
      let entry: Record<string, unknown> | null = queued;
      const key = `${options.eventId}-${userId}`;
      const declined = (i * 7919) % 100 < options.declineRate * 100;
      const order = JSON.stringify({
        eventId: options.eventId,
        userId,
        quantity: 1,
        paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
      });
      for (let requeued = 0; entry && requeued <= options.requeues;) {
        const entryId = String(entry.entryId);
        const pollAfter = typeof entry.pollAfterSeconds === 'number' ? entry.pollAfterSeconds : 1;
        if (entry.admitted !== true) {
          await sleep(pollDelayMs(pollAfter));
          const path = `${room}/${entryId}`;
          const { answer } = await ask(i, 'look', { method: 'GET', path, headers: identity });
          noteRoom(userId, answer, admittedBefore);
          if (answer === 'lost' || answer.status === 503) return; // gave up: it never came back in time
          // Sold out: there will be no turn, it stops asking.
          if (answer.status === 200 && answer.body.soldOut === true)
            return void tally.toldSoldOut.push({ userId, route: 'look', at: Date.now() });
          if (answer.status === 200 && answer.body.expired !== true) {
            entry = answer.body;
            continue;
          }
          // Expired, or the entry gone (a wiped queue reopened): queue again.
          requeued++;
          entry = await enter();
          continue;
        }
        const token = String(entry.admissionToken);
        const claims = claimsOf(token);
        tally.admissions.push({
          userId,
          entryId,
          position: seenEntry(tally, userId).positions.get(entryId) ?? null,
          token,
          jti: claims.jti,
          epoch: claims.epoch,
          expiresAt: String(entry.expiresAt),
          at: Date.now(),
        });
        const { answer, sentAt } = await ask(i, 'order', {
          method: 'POST',
          path: '/orders',
          headers: { ...headers, 'idempotency-key': key, 'admission-token': token },
          body: order,
        });
        const code = answer === 'lost' ? null : codeOf(answer);
        const orderId = answer !== 'lost' && answer.status === 202 ? String(answer.body.orderId) : null;
        tally.purchases.push({
          userId,
          key,
          body: order,
          jti: claims.jti,
          epoch: claims.epoch,
          sentAt,
          answeredAt: Date.now(),
          status: answer === 'lost' ? 0 : answer.status,
          code,
          orderId,
        });
        if (orderId) return void tally.accepted.add(orderId);
        if (answer === 'lost' || code === 'OUTCOME_UNKNOWN') return void tally.lost++;
        if (answer.status === 503) return void tally.unavailable++;
        if (code !== 'WAITING_ROOM')
          return void (tally.refused[code ?? 'NONE'] = (tally.refused[code ?? 'NONE'] ?? 0) + 1);
        // The token refused (its queue reopened since, or expired): back to the queue.
        requeued++;
        entry = await enter();
      }
    }
  };

  let next = 0;
  const startedAt = Date.now();
  const buyers: Array<Promise<void>> = [];
  const arrivals = async () => {
    for (let i = next++; i < options.arrivals; i = next++) {
      if (Number.isFinite(options.arrivalsPerSecond)) {
        const due = startedAt + (i * 1000) / options.arrivalsPerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      // An arrival takes a turn until it is queued; its polling goes on beside the next arrivals.
      const polling = await arrive(i);
      if (polling) buyers.push(polling());
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, arrivals))
    .then(() => Promise.all(buyers))
    .then(() => Promise.all(pools.map((pool) => pool.close())))
    .then(() => tally);
  return { tally, done };
}

async function send(
  pool: Pool,
  request: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  try {
    const response = await pool.request(request);
    const text = await response.body.text();
    const retryAfter = Number(response.headers['retry-after']);
    return {
      status: response.statusCode,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    };
  } catch {
    return 'lost';
  }
}

function codeOf(answer: Exclude<Answer, 'lost'>): string | null {
  return typeof answer.body.code === 'string' ? answer.body.code : null;
}

/** The claims an admission token carries (read, not verified: the client only files it). */
export function claimsOf(token: string): {
  jti: string;
  epoch: string;
  sub: string;
  eventId: string;
  entryId: string;
} {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    jti: text(payload.jti),
    epoch: text(payload.epoch),
    sub: text(payload.sub),
    eventId: text(payload.eventId),
    entryId: text(payload.entryId),
  };
}
