import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export type TestIssuerAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

export interface TokenOptions {
  /** Seconds from now; negative for a token already expired. Default one hour. */
  expiresIn?: number;
  /** Leave `exp` out altogether. */
  noExpiry?: boolean;
  issuer?: string;
  audience?: string;
  /** Claims on top (or instead) of the defaults. */
  claims?: JWTPayload;
}

/**
 * An identity provider of the test's own: a key pair made in the test, the BUYER_JWT_* settings the order service
 * trusts it with, and tokens it signs. `serveJwks()` publishes its key over real HTTP for the JWKS URL mode.
 */
export class TestIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    readonly algorithm: TestIssuerAlgorithm,
    readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
  ) {}

  static async create(
    algorithm: TestIssuerAlgorithm = 'EdDSA',
    { issuer = 'https://id.test.boxoffice', audience = 'boxoffice-order', kid = `key-${algorithm}` } = {},
  ): Promise<TestIssuer> {
    const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
    return new TestIssuer(issuer, audience, algorithm, kid, privateKey, publicKey);
  }

  /** The order service's settings that trust this issuer's public key (PEM). */
  async env(required = true): Promise<Record<string, string>> {
    return {
      BUYER_JWT_ISSUER: this.issuer,
      BUYER_JWT_AUDIENCE: this.audience,
      BUYER_JWT_PUBLIC_KEY: await this.publicKeyPem(),
      BUYER_JWT_REQUIRED: String(required),
    };
  }

  publicKeyPem(): Promise<string> {
    return exportSPKI(this.publicKey);
  }

  /** A token for `sub`, signed with this issuer's key; by default valid, for its issuer and audience, for an hour. */
  token(sub: string | undefined, options: TokenOptions = {}): Promise<string> {
    const jwt = new SignJWT({ ...(sub !== undefined && { sub }), ...options.claims })
      .setProtectedHeader({ alg: this.algorithm, kid: this.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt();
    if (!options.noExpiry) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 3600));
    return jwt.sign(this.privateKey);
  }

  /** `Authorization: Bearer <token for sub>`. */
  async as(sub: string, options?: TokenOptions): Promise<{ authorization: string }> {
    return { authorization: `Bearer ${await this.token(sub, options)}` };
  }

  async jwks(): Promise<{ keys: object[] }> {
    return {
      keys: [{ ...(await exportJWK(this.publicKey)), kid: this.kid, alg: this.algorithm, use: 'sig' }],
    };
  }
}

/**
 * A real HTTP server answering GET / with the issuers' JWKS, on `port` (or a free one). It can publish other keys
 * (a rotation) or break down (500 to every fetch) while order keeps its keys.
 */
export async function serveJwks(issuers: TestIssuer[], port = 0): Promise<JwksServer> {
  const keysOf = async (of: TestIssuer[]) =>
    JSON.stringify({
      keys: (await Promise.all(of.map((issuer) => issuer.jwks()))).flatMap((set) => set.keys),
    });
  let body: string | null = await keysOf(issuers);
  let fetches = 0;
  const server: Server = createServer((_, response) => {
    fetches += 1;
    if (body === null) return void response.writeHead(500).end();
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    fetches: () => fetches,
    publish: async (of) => void (body = await keysOf(of)),
    breakDown: () => void (body = null),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A client's idle keep-alive connection (fetch keeps one) would hold close() open.
        server.closeIdleConnections();
      }),
  };
}

export interface JwksServer {
  url: string;
  /** How often the JWKS was fetched (those answered 500 included). */
  fetches(): number;
  /** From now on the JWKS of these issuers' keys (a rotation). */
  publish(issuers: TestIssuer[]): Promise<void>;
  /** From now on every fetch is answered 500: the issuer is down. */
  breakDown(): void;
  close(): Promise<void>;
}
