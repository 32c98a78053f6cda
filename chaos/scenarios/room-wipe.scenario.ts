import { SignJWT } from 'jose';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import type { Violation } from '../../ops/audit/find-violations';
import { checkOrdersAdmitted, checkToldSoldOut, putRoom } from '../room-checks';
import { SALE_STOCK } from '../run-scenario';
import { claimsOf, startRoomBuyers } from '../room-buyers';
import type { RoomBuyersTally, SeenAdmission, SeenPurchase } from '../room-buyers-tally';
import { admittedToken, Probes, ROOM_ANSWERS, roomSale, type RoomRun } from '../room-probes';
import type { Scenario } from '../scenario';

const ADMIT_PER_SECOND = 20;
const ARRIVALS = 300;
/** The queue stays closed this long before the operator reopens it (PUT again). */
const CLOSED_MS = 5_000;
/** Pre-wipe tokens tried on purpose, while closed and once reopened: this many spent and this many unspent. */
const TRIED = 5;
/** Admitted before the wipe by the scenario itself, their tokens kept unspent: at least these are tried. */
const HELD = 3;

const { closed: CLOSED, refused: REFUSED } = ROOM_ANSWERS;
const KEY_REUSED = '422 IDEMPOTENCY_KEY_REUSED';
const DECLINED = 'tok_chargeDeclined';

interface WipeRun extends RoomRun {
  held: SeenAdmission[];
  epochBefore?: string;
  wipedAt?: number;
  reopenAt?: number;
  reopenedAt?: number;
}
let run: WipeRun | undefined;

/**
 * Redis wiped (FLUSHALL) mid-sale with the room on, buyers queued and some admitted: the room closes (503
 * WAITING_ROOM_CLOSED, never "everyone admitted") until the operator reopens it; no token of before the wipe buys
 * a new order after it, though the request that bought with one is answered its order again (contract §2, _Redis
 * losing the queue_); buyers queue and buy again once it is reopened.
 */
export const roomWipe: Scenario = {
  name: 'room-wipe',
  fault: `Redis wiped (FLUSHALL) mid-sale with the waiting room on; the operator reopens it (PUT) ${CLOSED_MS / 1000} s later`,
  faultMs: CLOSED_MS,
  async sale(stack, eventId, log) {
    const orderUrl = stack.urls('order')[0];
    await putRoom(orderUrl, eventId, ADMIT_PER_SECOND);
    // Buyers of the scenario's own, first in the queue, holding their tokens unspent across the wipe.
    const held = await Promise.all(
      Array.from({ length: HELD }, async (_, i): Promise<SeenAdmission> => {
        const userId = `wipe-held-${i}`;
        const token = await admittedToken(orderUrl, eventId, {}, { userId });
        const { jti, epoch, entryId } = claimsOf(token);
        return { userId, entryId, position: null, token, jti, epoch, expiresAt: '-', at: Date.now() };
      }),
    );
    const buyers = startRoomBuyers({
      orderUrls: stack.urls('order'),
      eventId,
      arrivals: ARRIVALS,
      userPrefix: 'wipe',
      concurrency: 16,
      arrivalsPerSecond: 30,
      buys: () => true,
      declineRate: 0.1,
      retryForMs: 30_000,
      requeues: 3,
    });
    const state: WipeRun = {
      stack,
      eventId,
      held,
      tally: buyers.tally,
      probes: new Probes(orderUrl, buyers.tally.accepted),
    };
    run = state;
    return roomSale('room-wipe', state, buyers.done, ARRIVALS / 3, log, async () => [
      ...(await verifyWipe(state)),
      ...(await checkToldSoldOut(stack, eventId, buyers.tally, SALE_STOCK, log)),
    ]);
  },
  async inject(stack, log) {
    const state = run!;
    const before = [...state.tally.admissions];
    state.epochBefore = state.held[0].epoch;
    await stack.redis.command((redis) => redis.flushall());
    state.wipedAt = Date.now();
    const { spent, unspent } = pick(state.tally, before);
    unspent.push(...state.held);
    log(
      `room-wipe: Redis wiped with ${before.length} buyers admitted (and ${HELD} holding their tokens), ${state.tally.accepted.size} orders accepted`,
    );
    await tryClosed(state, spent, unspent);
    return async () => {
      state.reopenAt = Date.now();
      await putRoom(stack.urls('order')[0], state.eventId, ADMIT_PER_SECOND);
      state.reopenedAt = Date.now();
      await tryReopened(state, spent, unspent);
      const closed = state.tally.roomAnswers.filter(
        (a) => a.sentAt >= state.wipedAt! && a.status === 503,
      ).length;
      log(
        `room-wipe: reopened (PUT) after ${closed} buyers' requests answered 503; pre-wipe tokens tried again`,
      );
      // Nobody asked while it was closed, or nobody had bought before: the scenario did not test what it says.
      if (!closed || !spent.length)
        throw new Error(`room-wipe: ${closed} requests while closed, ${spent.length} spent tokens`);
    };
  },
};

/** Pre-wipe admissions whose token bought an order (spent; one declined card's among them if any), and some not used. */
function pick(
  tally: RoomBuyersTally,
  before: SeenAdmission[],
): { spent: SeenAdmission[]; unspent: SeenAdmission[] } {
  const bought = new Map(tally.purchases.filter((p) => p.orderId).map((p) => [p.jti, p]));
  const tried = new Set(tally.purchases.map((p) => p.jti));
  const spent = before.filter((a) => bought.has(a.jti));
  // One declined card's, if any bought: its order was kept, then cancelled.
  const firstDeclined = spent.find((a) => declined(bought.get(a.jti)!));
  const declinedFirst = firstDeclined ? [firstDeclined, ...spent.filter((a) => a !== firstDeclined)] : spent;
  return {
    spent: declinedFirst.slice(0, TRIED),
    unspent: before.filter((a) => !tried.has(a.jti)).slice(0, TRIED),
  };
}

function declined(purchase: SeenPurchase): boolean {
  return (JSON.parse(purchase.body) as { paymentToken?: string }).paymentToken === DECLINED;
}

/** A new request with a pre-wipe token, under a key of the probe's own: no order was kept under it. */
function order(state: WipeRun, admission: SeenAdmission, key: string, token = admission.token) {
  return {
    method: 'POST' as const,
    path: '/orders',
    headers: { 'idempotency-key': key, 'admission-token': token },
    body: { eventId: state.eventId, userId: admission.userId, quantity: 1, paymentToken: 'tok_visa' },
  };
}

/**
 * The buyers' own requests that spent the tokens asked again (their key, their body, their token): each is answered
 * its order's 202, the declined card's too (its order was kept, then cancelled: the key's answer is that 202); the
 * same key with another card is another body, 422 IDEMPOTENCY_KEY_REUSED, never a second order (contract §2,
 * _Idempotency-Key_ and _Admission tokens_: a kept order is always answered again).
 */
async function askAgain(state: WipeRun, spent: SeenAdmission[], when: string): Promise<void> {
  for (const admission of spent) {
    const purchase = state.tally.purchases.find((p) => p.jti === admission.jti && p.orderId)!;
    const request = (body: unknown) => ({
      method: 'POST' as const,
      path: '/orders',
      headers: { 'idempotency-key': purchase.key, 'admission-token': admission.token },
      body,
    });
    const body = JSON.parse(purchase.body) as Record<string, unknown>;
    const card = declined(purchase) ? ', a declined card' : '';
    await state.probes.sendAgain(
      `${admission.userId}'s own request${card}, asked again ${when}`,
      request(body),
      purchase.orderId!,
    );
    if (declined(purchase))
      await state.probes.send(
        `${admission.userId}'s key with another card ${when}`,
        request({ ...body, paymentToken: 'tok_visa' }),
        KEY_REUSED,
      );
  }
}

/**
 * While closed: the room answers 503 WAITING_ROOM_CLOSED; a pre-wipe token, spent or not, cannot be checked: 503 for a
 * new request; the request that bought with it is answered its 202 again.
 */
async function tryClosed(state: WipeRun, spent: SeenAdmission[], unspent: SeenAdmission[]): Promise<void> {
  const { probes, eventId } = state;
  const room = `/events/${eventId}/waiting-room`;
  await probes.send('room status while closed', { method: 'GET', path: room }, CLOSED);
  await probes.send(
    'a new buyer queuing while closed',
    { method: 'POST', path: `${room}/entries`, body: { userId: 'wipe-late' } },
    CLOSED,
  );
  for (const admission of [...spent, ...unspent]) {
    await probes.send(
      `${admission.userId}'s admitted entry looked at while closed`,
      { method: 'GET', path: `${room}/entries/${admission.entryId}` },
      CLOSED,
    );
    await probes.send(
      `${admission.userId}'s pre-wipe token, a new key, while closed`,
      order(state, admission, `probe-closed-${admission.userId}`),
      CLOSED,
    );
  }
  await askAgain(state, spent, 'while closed');
  const forged = await new SignJWT({ eventId, entryId: 'forged', epoch: state.epochBefore })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('boxoffice-waiting-room')
    .setSubject('wipe-0')
    .setJti('forged')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('not-the-admission-secret-of-this-order'));
  const victim = spent[0] ?? unspent[0];
  if (victim)
    await probes.send(
      'a forged token while closed',
      order(state, victim, 'probe-closed-forged', forged),
      REFUSED,
    );
}

/**
 * Reopened: a new epoch; every pre-wipe token is refused 429 for a new request; the request that bought with it is
 * answered its 202 again (contract §2, _Redis losing the queue_).
 */
async function tryReopened(state: WipeRun, spent: SeenAdmission[], unspent: SeenAdmission[]): Promise<void> {
  for (const admission of [...spent, ...unspent])
    await state.probes.send(
      `${admission.userId}'s pre-wipe token, a new key, once reopened`,
      order(state, admission, `probe-reopened-${admission.userId}`),
      REFUSED,
    );
  await askAgain(state, spent, 'once reopened');
}

async function verifyWipe(state: WipeRun): Promise<Violation[]> {
  const { tally, eventId, probes } = state;
  const wipedAt = state.wipedAt!;
  const reopenAt = state.reopenAt!;
  const reopenedAt = state.reopenedAt!;
  const where = eventId;
  // The buyers' own requests: asked after the wipe and answered before the reopening, the room was closed.
  const open = tally.roomAnswers
    .filter((a) => a.sentAt >= wipedAt && a.answeredAt <= reopenAt && a.status !== 0)
    .filter((a) => `${a.status} ${a.code}` !== CLOSED)
    .map((a) => `${a.route} of ${a.userId}: ${a.status} ${a.code ?? (a.admitted ? 'admitted' : '')}`);
  // A pre-wipe token's 202 after the wipe is right only as the answer again of an order kept before it (a retry of a
  // request whose answer was lost): never a new order.
  const keptBefore = await ordersBefore(state, wipedAt);
  const refusedOr = (p: SeenPurchase, ...answers: string[]) =>
    p.status === 0 || answers.includes(`${p.status} ${p.code}`) || (!!p.orderId && keptBefore.has(p.orderId));
  const sold: string[] = [];
  for (const p of tally.purchases) {
    const answer = `${p.status} ${p.code}`;
    if (p.sentAt >= wipedAt && p.answeredAt <= reopenAt && !refusedOr(p, CLOSED, REFUSED))
      sold.push(`${p.userId} while closed: ${answer}`);
    if (p.sentAt >= wipedAt && p.epoch === state.epochBefore && !refusedOr(p, CLOSED, REFUSED))
      sold.push(`${p.userId}'s pre-wipe token after the wipe: ${answer}`);
    if (p.sentAt >= reopenedAt && p.epoch === state.epochBefore && !refusedOr(p, REFUSED))
      sold.push(`${p.userId}'s pre-wipe token once reopened: ${answer}`);
  }
  const after = tally.purchases.filter((p) => p.orderId && p.epoch !== state.epochBefore);
  const violations: Violation[] = [
    ...probes.violations('TOKEN_NOT_REFUSED', where),
    ...(open.length
      ? [
          {
            code: 'ROOM_OPEN_WHILE_CLOSED' as const,
            where,
            detail: `${open.length}: ${open.slice(0, 5).join('; ')}`,
          },
        ]
      : []),
    ...(sold.length
      ? [
          {
            code: 'TOKEN_NOT_REFUSED' as const,
            where,
            detail: `${sold.length}: ${sold.slice(0, 5).join('; ')}`,
          },
        ]
      : []),
  ];
  if (!after.length)
    violations.push({
      code: 'ROOM_OPEN_WHILE_CLOSED',
      where,
      detail: 'nobody bought once the room was reopened',
    });
  // A probe answered 202 is an order answered again, never a new one.
  const keptFor = probes.keptFor();
  if (keptFor.length)
    violations.push({
      code: 'KEPT_FOR_REFUSED',
      where,
      detail: `${keptFor.length} probes answered a new order: ${keptFor.map((p) => p.what).join('; ')}`,
    });
  const found = await checkOrdersAdmitted(state.stack, eventId, tally, {
    lostEpochs: new Set([state.epochBefore!]),
  });
  return [...violations, ...found];
}

/** The sale's orders created before `at` (ms), on Postgres's clock (the same machine's). */
async function ordersBefore(state: WipeRun, at: number): Promise<Set<string>> {
  const schema = INFRASTRUCTURE_DEFAULTS.schemas.order;
  const rows = await state.stack.postgres.query<{ order_id: string }>(
    `SELECT order_id FROM "${schema}".orders WHERE event_id = $1 AND created_at < to_timestamp($2 / 1000.0)`,
    [state.eventId, at],
    'boxoffice',
  );
  return new Set(rows.map((row) => row.order_id));
}
