import { freePort } from '@boxoffice/testing/free-port';
import { putSale } from '@boxoffice/testing/sale-stock';
import { serveJwks, TestIssuer, type JwksServer } from '@boxoffice/testing/test-issuer';
import { keptOf, OrderTestApp, startOrderStack } from '../order.test-app';

const order = (stack: OrderTestApp, body: object, headers: Record<string, string> = {}, path = '/orders') =>
  stack.http().post(path).set(headers).send(body);

describe('Buyers with an identity: the issuer’s JWKS URL (a real HTTP server)', () => {
  let stack: OrderTestApp;
  let issuer: TestIssuer;
  let jwks: JwksServer | undefined;
  let jwksPort: number;

  beforeAll(async () => {
    issuer = await TestIssuer.create('EdDSA', { kid: 'k-2026' });
    jwksPort = await freePort();
    // The JWKS is out of reach while order boots: order boots anyway and says so.
    stack = await startOrderStack('buyers_jwks', {
      order: {
        BUYER_JWT_ISSUER: issuer.issuer,
        BUYER_JWT_AUDIENCE: issuer.audience,
        BUYER_JWT_JWKS_URL: `http://127.0.0.1:${jwksPort}/`,
      },
    });
    await putSale(stack.inventory, 'arena', { totalStock: 20, perUserLimit: 4 });
  });
  afterAll(async () => {
    await jwks?.close();
    await stack?.close();
  });

  it('given the JWKS out of reach, when ordering with a token, then 503 UNAVAILABLE with Retry-After and nothing kept', async () => {
    const before = await keptOf(stack, 'arena');

    const refused = await order(stack, { eventId: 'arena', quantity: 1 }, await issuer.as('mia')).expect(503);

    expect(refused.body.code).toBe('UNAVAILABLE');
    expect(refused.headers['retry-after']).toBe('1');
    expect(await keptOf(stack, 'arena')).toEqual(before);
  });

  it('given the JWKS served, when ordering with a token of its key, then 202 for the token’s buyer; the JWKS is fetched once for many orders', async () => {
    jwks = await serveJwks([issuer], jwksPort);

    const first = await order(stack, { eventId: 'arena', quantity: 1 }, await issuer.as('mia')).expect(202);
    const second = await order(stack, { eventId: 'arena', quantity: 1 }, await issuer.as('noor')).expect(202);

    expect([first.body.userId, second.body.userId]).toEqual(['mia', 'noor']);
    expect(jwks.fetches()).toBe(1);
  });

  it('given a token signed by a key not in the JWKS, or with no token, then 401 UNAUTHENTICATED', async () => {
    const forger = await TestIssuer.create('EdDSA', { kid: 'k-forged' });
    const impostor = await TestIssuer.create('EdDSA', { kid: 'k-2026' }); // the real key's kid, another key

    const refusals = await Promise.all([
      order(stack, { eventId: 'arena', quantity: 1 }, await forger.as('olga')),
      order(stack, { eventId: 'arena', quantity: 1 }, await impostor.as('olga')),
      order(stack, { eventId: 'arena', userId: 'olga', quantity: 1 }),
    ]);

    expect(refusals.map((response) => [response.status, response.body.code])).toEqual([
      [401, 'UNAUTHENTICATED'],
      [401, 'UNAUTHENTICATED'],
      [401, 'UNAUTHENTICATED'],
    ]);
    expect((await keptOf(stack, 'arena')).orders).toBe(2);
  });
});
