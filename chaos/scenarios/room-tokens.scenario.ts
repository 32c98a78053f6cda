import { SignJWT, UnsecuredJWT } from 'jose';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { eventually } from '@boxoffice/testing/eventually';
import { TestIssuer } from '@boxoffice/testing/test-issuer';
import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import type { Violation } from '../../ops/audit/find-violations';
import { createSale, SALE_STOCK } from '../run-scenario';
import { checkOrdersAdmitted, checkToldSoldOut, putRoom } from '../room-checks';
import { claimsOf, startRoomBuyers } from '../room-buyers';
import {
  admittedToken,
  Probes,
  ROOM_ANSWERS,
  roomSale,
  type ProbeRequest,
  type RoomRun,
} from '../room-probes';
import type { Scenario } from '../scenario';

const ADMIT_PER_SECOND = 20;
const ARRIVALS = 120;
/** Requests sent at once with one token, in each of the two concurrent replays. */
const RACERS = 10;
const { refused: REFUSED, unauthenticated: UNAUTHENTICATED } = ROOM_ANSWERS;

interface TokensRun extends RoomRun {
  otherEventId: string;
  issuer: TestIssuer;
  /** Buyers the attacks act as or against; none of them buys honestly except `victim`, after the attacks. */
  attackers: string[];
}
let issuer: TestIssuer | undefined;
let run: TokensRun | undefined;

/**
 * Forged, borrowed, expired and replayed admission tokens, and forged or expired buyer tokens, sent mid-sale with the
 * room on and buyer tokens required: each refused as the contract says and nothing kept for any of them, while the
 * honest buyers of the same sale still buy.
 */
export const roomTokens: Scenario = {
  name: 'room-tokens',
  fault:
    "admission tokens forged (another secret, alg none, claims changed), another buyer's, another sale's, expired, replayed (in turn and at once); buyer tokens forged or expired",
  faultMs: 0,
  async stack() {
    issuer = await TestIssuer.create();
    return { settings: await issuer.env() };
  },
  async sale(stack, eventId, log) {
    const orderUrl = stack.urls('order')[0];
    const otherEventId = `${eventId}-other`;
    await createSale(stack.urls('inventory')[0], otherEventId);
    await putRoom(orderUrl, eventId, ADMIT_PER_SECOND);
    await putRoom(orderUrl, otherEventId, 1_000);
    const buyers = startRoomBuyers({
      orderUrls: stack.urls('order'),
      eventId,
      arrivals: ARRIVALS,
      userPrefix: 'honest',
      concurrency: 16,
      arrivalsPerSecond: 20,
      buys: () => true,
      declineRate: 0.1,
      retryForMs: 30_000,
      requeues: 1,
      authorize: (userId) => issuer!.as(userId),
    });
    const state: TokensRun = {
      stack,
      eventId,
      otherEventId,
      issuer: issuer!,
      tally: buyers.tally,
      probes: new Probes(orderUrl, buyers.tally.accepted),
      attackers: ['mallory', 'mallory-2', 'victim'],
    };
    run = state;
    return roomSale('room-tokens', state, buyers.done, ARRIVALS / 4, log, async () => [
      ...(await verifyTokens(state)),
      ...(await checkToldSoldOut(stack, eventId, buyers.tally, SALE_STOCK, log)),
    ]);
  },
  async inject(_stack, log) {
    await attack(run!, log);
    return async () => undefined;
  },
};

/** The buyer, with its buyer token, queues in the sale's room and waits for its turn: its admission token. */
async function admitted(state: TokensRun, userId: string, eventId = state.eventId): Promise<string> {
  return admittedToken(state.stack.urls('order')[0], eventId, await state.issuer.as(userId), {});
}

async function attack(state: TokensRun, log: (line: string) => void): Promise<void> {
  const { probes, eventId, issuer } = state;
  const [mallory, mallory2, victim] = state.attackers;
  const [malloryToken, mallory2Token, victimToken, otherSaleToken] = await Promise.all([
    admitted(state, mallory),
    admitted(state, mallory2),
    admitted(state, victim),
    admitted(state, mallory, state.otherEventId),
  ]);
  // An honest buyer's order, bought: its token is spent.
  const bought = await eventually(() => state.tally.purchases.find((p) => p.orderId), {
    timeoutMs: 30_000,
    what: 'an honest order bought',
  });
  const boughtToken = state.tally.admissions.find((a) => a.jti === bought.jti)!.token;
  let n = 0;
  const order = async (userId: string, token: string | null, key: string | null = `attack-${++n}`) => ({
    method: 'POST' as const,
    path: '/orders',
    headers: {
      ...(await issuer.as(userId)),
      ...(key !== null && { 'idempotency-key': key }),
      ...(token !== null && { 'admission-token': token }),
    },
    body: { eventId, userId, quantity: 1, paymentToken: 'tok_visa' },
  });
  const claims = claimsOf(malloryToken);
  const payload = { eventId, entryId: 'x', epoch: claims.epoch };
  const signed = (secret: string, exp: number, sub = mallory, jti = claims.jti) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('boxoffice-waiting-room')
      .setSubject(sub)
      .setJti(jti)
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
  const inAMinute = Math.floor(Date.now() / 1000) + 60;
  const unsigned = new UnsecuredJWT(payload)
    .setIssuer('boxoffice-waiting-room')
    .setSubject(mallory)
    .setJti(claims.jti)
    .setExpirationTime(inAMinute)
    .encode();
  const [header, , signature] = victimToken.split('.');
  const asMallory = { ...claimsOfRaw(victimToken), sub: mallory };
  const tampered = `${header}.${Buffer.from(JSON.stringify(asMallory)).toString('base64url')}.${signature}`;

  const tries: Array<[string, ProbeRequest]> = [
    ['no Admission-Token', await order(mallory, null)],
    [
      'signed with another secret',
      await order(mallory, await signed('another-secret-of-32-characters-or-more', inAMinute)),
    ],
    ['alg none', await order(mallory, unsigned)],
    ["another buyer's token with its sub changed", await order(mallory, tampered)],
    ["another buyer's token", await order(mallory, victimToken)],
    ["another sale's token", await order(mallory, otherSaleToken)],
    [
      'expired (signed with the real secret)',
      await order(mallory, await signed(TEST_TOKENS.ADMISSION_TOKEN_SECRET, inAMinute - 120)),
    ],
    ['a spent token, another key', await order(bought.userId, boughtToken)],
    ['a spent token, no key', await order(bought.userId, boughtToken, null)],
  ];
  for (const [what, request] of tries) await probes.send(what, request, REFUSED);
  // Its own request again, same key and body: the key's answer (the same 202), nothing new kept.
  await probes.sendAgain(
    'a spent token, its own request again',
    {
      method: 'POST',
      path: '/orders',
      headers: {
        ...(await issuer.as(bought.userId)),
        'idempotency-key': bought.key,
        'admission-token': boughtToken,
      },
      body: JSON.parse(bought.body) as unknown,
    },
    bought.orderId!,
  );
  // Buyer tokens: forged (another issuer's key), expired, unsigned, missing: 401 before anything else.
  const impostor = await TestIssuer.create();
  const badBuyers: Array<[string, Record<string, string>]> = [
    [
      "a buyer token of another issuer's key",
      await impostor.as(mallory, { issuer: issuer.issuer, audience: issuer.audience }),
    ],
    ['an expired buyer token', await issuer.as(mallory, { expiresIn: -60 })],
    [
      'an unsigned buyer token',
      {
        authorization: `Bearer ${new UnsecuredJWT({ sub: mallory }).setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime('1h').encode()}`,
      },
    ],
    ['no buyer token', {}],
  ];
  for (const [what, auth] of badBuyers) {
    const request = await order(mallory, malloryToken);
    // The buyer's own token left out, `auth`'s (or none) instead.
    const others = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => name !== 'authorization'),
    );
    await probes.send(`order with ${what}`, { ...request, headers: { ...others, ...auth } }, UNAUTHENTICATED);
    const queue = {
      method: 'POST' as const,
      path: `/events/${eventId}/waiting-room/entries`,
      headers: auth,
      body: {},
    };
    await probes.send(`queue with ${what}`, queue, UNAUTHENTICATED);
  }
  // Replays at once: one token, RACERS requests, each with its own key (mallory) or none (mallory-2): one buys.
  const racers = async (userId: string, token: string, keyed: boolean) =>
    Promise.all(
      Array.from({ length: RACERS }, async () =>
        probes.send(
          `${userId}'s token ${RACERS} times at once`,
          await order(userId, token, keyed ? `attack-${++n}` : null),
          REFUSED,
          '202',
          '409 SOLD_OUT',
        ),
      ),
    );
  const races = [await racers(mallory, malloryToken, true), await racers(mallory2, mallory2Token, false)];
  // The victim, whose token mallory tried, still buys with it.
  await probes.send(
    "the victim's own order with its token",
    await order(victim, victimToken),
    '202',
    '409 SOLD_OUT',
  );
  for (const race of races) {
    const passed = race.filter((probe) => probe.got !== REFUSED);
    if (passed.length !== 1 && !(passed.length > 1 && passed.every((p) => p.got === '409 SOLD_OUT')))
      probes.list.push({
        what: 'a token raced',
        expected: ['one passed'],
        got: `${passed.length} passed`,
        orderId: null,
        key: null,
        replayOf: null,
      });
  }
  log(`room-tokens: ${probes.summary()}`);
}

function claimsOfRaw(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/**
 * Each attack answered as the contract says; nothing kept for a refused one (no key claimed, no order: so no charge
 * and no hold, which the audit would also see); every order bought with a spent admission; honest buyers bought.
 */
async function verifyTokens(state: TokensRun): Promise<Violation[]> {
  const { stack, eventId, probes, tally } = state;
  const schema = INFRASTRUCTURE_DEFAULTS.schemas.order;
  const boughtByAttack = new Set(probes.list.flatMap((p) => (p.orderId ? [p.orderId] : [])));
  const kept = await stack.postgres.query<{ order_id: string; user_id: string }>(
    `SELECT order_id, user_id FROM "${schema}".orders WHERE user_id = ANY($1)`,
    [state.attackers],
    'boxoffice',
  );
  const keys = await stack.postgres.query<{ key: string; resource_id: string }>(
    `SELECT key, resource_id FROM "${schema}".idempotency_keys WHERE key LIKE 'attack-%'`,
    [],
    'boxoffice',
  );
  const keptFor = [
    ...kept.filter((o) => !boughtByAttack.has(o.order_id)).map((o) => `order ${o.order_id} of ${o.user_id}`),
    ...keys.filter((k) => !boughtByAttack.has(k.resource_id)).map((k) => `key ${k.key}`),
  ];
  const honest = tally.purchases.filter((p) => p.orderId).length;
  const refusedHonest = tally.purchases.filter((p) => p.code === 'WAITING_ROOM' || p.status === 401);
  const violations: Violation[] = [...probes.violations('TOKEN_NOT_REFUSED', eventId)];
  if (keptFor.length)
    violations.push({
      code: 'KEPT_FOR_REFUSED',
      where: eventId,
      detail: `${keptFor.length}: ${keptFor.slice(0, 5).join('; ')}`,
    });
  if (!honest || refusedHonest.length)
    violations.push({
      code: 'TOKEN_NOT_REFUSED',
      where: eventId,
      detail: `honest buyers: ${honest} bought, ${refusedHonest.length} refused their own admission`,
    });
  // The attackers' orders bought with a key are vouched for by the spent records alone; the one without, by a '-' one.
  const keyless = new Set(probes.list.flatMap((p) => (p.orderId && !p.key ? [p.orderId] : [])));
  return [...violations, ...(await checkOrdersAdmitted(stack, eventId, tally, { keyless }))];
}
