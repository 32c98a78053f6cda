import { SignJWT } from 'jose';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { TestIssuer } from '@boxoffice/testing/test-issuer';
import { CapturedLogs } from '@boxoffice/testing/log-lines';
import { keptOf, OrderTestApp, startOrderStack } from '../order.test-app';
import { OrdersService } from '../orders/orders.service';
import { BuyerTokens } from './buyer-tokens';

const order = (stack: OrderTestApp, body: object, headers: Record<string, string> = {}, path = '/orders') =>
  stack.http().post(path).set(headers).send(body);
/** The reserve calls inventory answered (its own metrics): order asks it for holds in batches. */
const reserveCalls = async (stack: OrderTestApp) =>
  (await scrapeMetrics(stack.inventory)).value('boxoffice_http_request_duration_seconds_count', {
    method: 'POST',
    route: '/reservations/batch',
    status: '200',
  }) ?? 0;

describe('Buyers with an identity: a bearer token required (e2e: a PEM key, real inventory, Postgres, RabbitMQ)', () => {
  let stack: OrderTestApp;
  let issuer: TestIssuer;
  let stranger: TestIssuer;
  const logs = new CapturedLogs();

  beforeAll(async () => {
    issuer = await TestIssuer.create('ES256');
    // The same issuer and audience, another key: a forger's.
    stranger = await TestIssuer.create('ES256');
    stack = await startOrderStack('buyers', {
      order: { ...(await issuer.env()), ORDER_SOLD_OUT_MEMORY_MS: '10000' },
      log: { level: 'info', destination: logs.destination },
    });
    await putSale(stack.inventory, 'show', { totalStock: 50, perUserLimit: 2 });
    await putSale(stack.inventory, 'gone', { totalStock: 1 });
  });
  afterAll(() => stack?.close());

  it('given a valid token and no userId in the body, when ordering, then the order is the token’s buyer, in order_created and at inventory', async () => {
    const { body } = await order(stack, { eventId: 'show', quantity: 1 }, await issuer.as('alice')).expect(
      202,
    );

    expect(body).toMatchObject({ userId: 'alice', status: 'CREATED' });
    const message = await stack.broker.nextTapped('order_created', body.orderId);
    expect(message.payload).toMatchObject({ orderId: body.orderId, userId: 'alice' });
    const hold = await stack.inventory.http().get(`/reservations/${body.orderId}`).expect(200);
    expect(hold.body).toMatchObject({ userId: 'alice', status: 'HELD' });
  });

  it('given a token, when the body names the same buyer, then 202 for that buyer', async () => {
    const { body } = await order(
      stack,
      { eventId: 'show', userId: 'bruno', quantity: 1 },
      await issuer.as('bruno'),
    ).expect(202);

    expect(body.userId).toBe('bruno');
  });

  it('given a buyer at the per-user limit, when the same token orders again under other body userIds, then a mismatch is 403 BUYER_MISMATCH and nothing is kept, and the limit holds for the identity', async () => {
    const asCarla = await issuer.as('carla');
    await order(stack, { eventId: 'show', quantity: 2 }, asCarla).expect(202);
    const before = await keptOf(stack, 'show');

    const mismatch = await order(stack, { eventId: 'show', userId: 'carla-2', quantity: 1 }, asCarla).expect(
      403,
    );
    const again = await order(stack, { eventId: 'show', quantity: 1 }, asCarla).expect(422);

    expect(mismatch.body).toEqual({ code: 'BUYER_MISMATCH', message: expect.any(String) });
    expect(again.body.code).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect(await keptOf(stack, 'show')).toEqual(before);
  });

  it.each([
    ['no Authorization header', async () => ({})],
    ['an expired token', async () => issuer.as('dora', { expiresIn: -60 })],
    ['a token of another issuer', async () => issuer.as('dora', { issuer: 'https://evil.example' })],
    ['a token for another audience', async () => issuer.as('dora', { audience: 'payment' })],
    ['a token signed with another key (forged)', async () => stranger.as('dora')],
    ['a token without an expiry', async () => issuer.as('dora', { noExpiry: true })],
    ['a token without a sub', async () => ({ authorization: `Bearer ${await issuer.token(undefined)}` })],
    ['a token whose sub is not an identifier', async () => issuer.as('dora|1')],
    ['another scheme', async () => ({ authorization: `Basic ${Buffer.from('dora:pw').toString('base64')}` })],
    ['not a token', async () => ({ authorization: 'Bearer not.a.jwt' })],
    ['an unsigned token (alg none)', async () => ({ authorization: `Bearer ${unsigned(issuer, 'dora')}` })],
    [
      'a token MACed with the public key (HS256)',
      async () => ({ authorization: `Bearer ${await macedWithPublicKey(issuer, 'dora')}` }),
    ],
  ])(
    'given %s, when ordering, then 401 UNAUTHENTICATED with WWW-Authenticate: Bearer, nothing kept and the key not claimed',
    async (_, headersOf) => {
      const before = await keptOf(stack, 'show');
      const key = `dora-${Math.random()}`;

      const refused = await order(
        stack,
        { eventId: 'show', userId: 'dora', quantity: 1 },
        {
          ...(await headersOf()),
          'Idempotency-Key': key,
        },
      ).expect(401);

      expect(refused.body).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      expect(await keptOf(stack, 'show')).toEqual(before);
      // The key was never claimed: with a valid token the same key is a new order.
      const placed = await order(
        stack,
        { eventId: 'show', quantity: 1 },
        {
          ...(await issuer.as(`dora-${before.orders}`)),
          'Idempotency-Key': key,
        },
      ).expect(202);
      expect(placed.body.userId).toBe(`dora-${before.orders}`);
    },
  );

  it('given no token, when the body is bad too, or the route is asked with a query string, then 401 before anything else', async () => {
    const bad = await order(stack, { eventId: 'show', quantity: 'many', admin: true }).expect(401);
    const queried = await order(
      stack,
      { eventId: 'show', userId: 'eve', quantity: 1 },
      {},
      '/orders?as=eve',
    ).expect(401);

    expect([bad.body.code, queried.body.code]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('given a valid token and a bad body, when ordering, then 400 VALIDATION_FAILED as ever', async () => {
    const { body } = await order(stack, { eventId: 'show', quantity: 0 }, await issuer.as('fred')).expect(
      400,
    );

    expect(body.details.map((detail: { field: string }) => detail.field)).toEqual(['quantity']);
  });

  it('given a sale answered sold out from memory, when ordering without a valid token or for another buyer, then 401 or 403 first, 409 only to its buyer', async () => {
    await order(stack, { eventId: 'gone', quantity: 1 }, await issuer.as('gina')).expect(202);
    await order(stack, { eventId: 'gone', quantity: 1 }, await issuer.as('hugo')).expect(409); // now remembered

    const none = await order(stack, { eventId: 'gone', userId: 'ivan', quantity: 1 }).expect(401);
    const forged = await order(stack, { eventId: 'gone', quantity: 1 }, await stranger.as('ivan')).expect(
      401,
    );
    const other = await order(
      stack,
      { eventId: 'gone', userId: 'gina', quantity: 1 },
      await issuer.as('ivan'),
    );
    const own = await order(stack, { eventId: 'gone', quantity: 1 }, await issuer.as('ivan')).expect(409);

    expect([none.body.code, forged.body.code, other.status, other.body.code, own.body.code]).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      403,
      'BUYER_MISMATCH',
      'SOLD_OUT',
    ]);
  });

  it('given a token, when an order is placed or answered sold out from memory (by the preHandler: neither inventory nor the controller asked), then the token is verified once per request', async () => {
    // given: a sale of its own, sold out and remembered (the 409 below is inventory's answer, then remembered)
    await putSale(stack.inventory, 'once', { totalStock: 1 });
    await order(stack, { eventId: 'once', quantity: 1 }, await issuer.as('jon')).expect(202);
    await order(stack, { eventId: 'once', quantity: 1 }, await issuer.as('kim')).expect(409);
    const verify = jest.spyOn(BuyerTokens.prototype, 'buyerOf');
    const placing = jest.spyOn(stack.app.get(OrdersService), 'place');
    try {
      // when
      await order(stack, { eventId: 'show', quantity: 1 }, await issuer.as('jon')).expect(202);
      const asked = await reserveCalls(stack);
      const refused = await order(stack, { eventId: 'once', quantity: 1 }, await issuer.as('jon')).expect(
        409,
      );

      // then
      expect(refused.body.code).toBe('SOLD_OUT');
      expect(verify).toHaveBeenCalledTimes(2);
      expect(placing).toHaveBeenCalledTimes(1); // the 202's: the 409 never reached the controller
      expect(await reserveCalls(stack)).toBe(asked);
    } finally {
      verify.mockRestore();
      placing.mockRestore();
    }
  });

  it.each([
    ['a sale on sale', 'reuse-open', 5],
    ['a sale answered sold out from memory (the preHandler looks first)', 'reuse-gone', 1],
  ])(
    'given buyer A’s order under an Idempotency-Key, when buyer B’s valid token sends the same key and body for %s, then 422 IDEMPOTENCY_KEY_REUSED that tells nothing of A’s order',
    async (_, eventId, totalStock) => {
      // given
      await putSale(stack.inventory, eventId, { totalStock });
      const key = `${eventId}-${Math.random()}`;
      const mine = await order(
        stack,
        { eventId, quantity: 1 },
        { ...(await issuer.as('lena')), 'Idempotency-Key': key },
      ).expect(202);
      if (totalStock === 1) await order(stack, { eventId, quantity: 1 }, await issuer.as('told')).expect(409); // now remembered
      const before = await keptOf(stack, eventId);

      // when
      const theirs = await order(
        stack,
        { eventId, quantity: 1 },
        { ...(await issuer.as('mallory')), 'Idempotency-Key': key },
      );

      // then
      expect([theirs.status, theirs.body]).toEqual([
        422,
        { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) },
      ]);
      expect(JSON.stringify(theirs.body)).not.toContain(mine.body.orderId);
      expect(JSON.stringify(theirs.body)).not.toContain('lena');
      expect(await keptOf(stack, eventId)).toEqual(before);
    },
  );

  it('given refusals for the buyer, then /metrics counts them by their code', async () => {
    const metrics = await scrapeMetrics(stack);
    const refused = (code: string) => metrics.value('boxoffice_orders_refused_total', { code });

    expect(refused('UNAUTHENTICATED')).toBeGreaterThan(0);
    expect(refused('BUYER_MISMATCH')).toBeGreaterThan(0);
  });

  it('given the service booted with BUYER_JWT_*, then its boot line says a token is required and names the issuer', () => {
    const boot = logs.lines().filter((line) => line.context === 'buyers');

    expect(boot).toEqual([
      expect.objectContaining({ level: 'info', msg: expect.stringContaining('a bearer token is required') }),
    ]);
    expect(boot[0].msg).toContain(issuer.issuer);
  });
});

/** A JWT with `alg: none`: no signature at all. */
function unsigned(issuer: TestIssuer, sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, iss: issuer.issuer, aud: issuer.audience, exp })}.`;
}

/** The algorithm-confusion forgery: HS256 with the issuer's public key, which anyone has, as the MAC secret. */
async function macedWithPublicKey(issuer: TestIssuer, sub: string): Promise<string> {
  return new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer.issuer)
    .setAudience(issuer.audience)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(await issuer.publicKeyPem()));
}
