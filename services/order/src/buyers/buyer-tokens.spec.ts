import { eventually } from '@boxoffice/testing/eventually';
import { serveJwks, TestIssuer, type JwksServer } from '@boxoffice/testing/test-issuer';
import { BuyerTokens } from './buyer-tokens';

/** Later than jose's default cache age (10 minutes), by which its keys used to be fetched again in a request. */
const ELEVEN_MINUTES_MS = 11 * 60_000;

describe('BuyerTokens with a JWKS URL: the keys are kept and refreshed in the background (a real HTTP JWKS)', () => {
  let issuer: TestIssuer;
  let jwks: JwksServer;
  let tokens: BuyerTokens;
  const warnings: string[] = [];

  beforeEach(async () => {
    issuer = await TestIssuer.create('EdDSA', { kid: 'k-1' });
    jwks = await serveJwks([issuer]);
    warnings.length = 0;
    tokens = await BuyerTokens.create(
      {
        issuer: issuer.issuer,
        audience: issuer.audience,
        keys: { kind: 'jwks', url: jwks.url },
        required: true,
      },
      { jwksRefreshMs: 100, logger: { warn: (message: string) => void warnings.push(message) } },
    );
    await tokens.warmUp();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    tokens.close();
    await jwks.close();
  });

  /** The clock `ms` ahead for jose (its cache's age) and for everything else in the test. */
  const clockAhead = (ms: number) => {
    const now = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => now() + ms);
  };

  it('given the issuer down after the first fetch, when the keys are older than 10 minutes and a refresh failed, then a token still verifies (no 503), and the failure is a warn line', async () => {
    jwks.breakDown();
    clockAhead(ELEVEN_MINUTES_MS);

    await eventually(() => jwks.fetches() >= 2 && warnings.length >= 1, { what: 'a failed refresh' });

    await expect(tokens.buyerOf(await issuer.token('mia'))).resolves.toBe('mia');
    expect(warnings[0]).toMatch(/JWKS could not be refreshed, the keys fetched last are used/);
  });

  it('given the issuer up, when the refresh interval passes, then the JWKS is fetched again in the background', async () => {
    const before = jwks.fetches();

    await eventually(() => jwks.fetches() >= before + 2, { what: 'two background refreshes' });

    expect(warnings).toEqual([]);
  });

  it('given a new key published (a rotation), when a token names its kid after the cooldown, then it is fetched in the request and verifies', async () => {
    tokens.close(); // no background refresh: the new kid alone must fetch it
    const rotated = await TestIssuer.create('EdDSA', { kid: 'k-2' });
    await jwks.publish([issuer, rotated]);
    clockAhead(31_000);

    await expect(tokens.buyerOf(await rotated.token('noor'))).resolves.toBe('noor');
    expect(jwks.fetches()).toBe(2);
  });
});
