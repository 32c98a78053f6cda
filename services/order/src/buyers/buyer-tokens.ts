import { Logger, type LoggerService } from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import { ID_PATTERN } from '@boxoffice/contracts/identifiers';
import { DomainError } from '@boxoffice/errors/domain-error';
import { BUYER_TOKEN_ALGORITHMS, type BuyerTokenSettings } from './buyer-token-settings';

/** Clocks of the issuer and of order may differ this much, either way: a token is not refused for it. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * The longest wait for the issuer's JWKS (at boot, and when a token names a key not known yet, at most once per
 * cooldown): a buyer behind it waits too, outside the order's own deadline (docs/contract.md §2, _Buyers_).
 */
export const JWKS_TIMEOUT_MS = 2000;
/** A key not in the JWKS sends order to fetch it again at most this often: forged kids cannot hammer the issuer. */
const JWKS_COOLDOWN_MS = 30_000;
/**
 * The JWKS is fetched again this often in the background (keys the issuer withdrew stop verifying then). The keys
 * fetched last never expire: while the issuer is out of reach they still verify, and no buyer waits for a refresh.
 */
export const JWKS_REFRESH_MS = 5 * 60_000;

export interface BuyerTokensOptions {
  /** The background refresh's period (a test's seam); JWKS_REFRESH_MS by default. */
  jwksRefreshMs?: number;
  /** Where a failed refresh is said (one warn line each). */
  logger?: Pick<LoggerService, 'warn'>;
}

/**
 * Verifies a buyer's bearer token and answers who it is (its `sub`). The key material is imported once, when the
 * service boots (a PEM key), or fetched and kept by jose (a JWKS URL, refreshed in the background); each request
 * costs one signature check.
 */
export class BuyerTokens {
  private constructor(
    private readonly settings: BuyerTokenSettings,
    /** jwtVerify with the key: imported once, or jose's JWKS (fetched, kept, refreshed, fetched again for a new kid). */
    private readonly verify: (token: string, options: JWTVerifyOptions) => Promise<JWTVerifyResult>,
    private readonly algorithms: string[],
    /** Fetches the JWKS now (a JWKS URL), so that the first buyer does not wait for it. */
    readonly warmUp: () => Promise<void>,
    /** Stops the JWKS's background refresh (at shutdown). */
    readonly close: () => void,
  ) {}

  static async create(settings: BuyerTokenSettings, options: BuyerTokensOptions = {}): Promise<BuyerTokens> {
    const { keys } = settings;
    if (keys.kind === 'public-key') {
      const key = await importSPKI(keys.pem, keys.algorithm);
      return new BuyerTokens(
        settings,
        (token, options) => jwtVerify(token, key, options),
        [keys.algorithm],
        () => Promise.resolve(),
        () => undefined,
      );
    }
    const remote = createRemoteJWKSet(new URL(keys.url), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      // jose's default (10 minutes) fetches again in a buyer's request once the keys are that old, and a failed
      // fetch then refused every token (503) though the keys held were good: they are refreshed below instead.
      cacheMaxAge: Infinity,
    });
    const logger = options.logger ?? new Logger('buyers');
    // A refresh that fails keeps the keys held (jose replaces them only with a JWKS fetched whole).
    const refresh = setInterval(() => {
      remote
        .reload()
        .catch((error: Error) =>
          logger.warn(
            `buyers: the issuer's JWKS could not be refreshed, the keys fetched last are used: ${error.message}`,
          ),
        );
    }, options.jwksRefreshMs ?? JWKS_REFRESH_MS);
    refresh.unref();
    const getKey = issuerDownAsUnavailable(remote);
    return new BuyerTokens(
      settings,
      (token, options) => jwtVerify(token, getKey, options),
      [...BUYER_TOKEN_ALGORITHMS],
      () => remote.reload(),
      () => clearInterval(refresh),
    );
  }

  get required(): boolean {
    return this.settings.required;
  }

  /** A description for the boot line: the issuer and where its keys come from. */
  get describe(): string {
    const { issuer, audience, keys } = this.settings;
    const from = keys.kind === 'jwks' ? `the JWKS at ${keys.url}` : `its ${keys.algorithm} public key`;
    return `issuer ${issuer}, audience ${audience}, checked with ${from}`;
  }

  /**
   * The buyer the token names. 401 UNAUTHENTICATED for anything but a valid token of the issuer, for the audience,
   * not expired, signed with an allowed algorithm, whose `sub` is an identifier; 503 UNAVAILABLE when the issuer's
   * JWKS cannot be fetched (nothing is the buyer's fault then).
   */
  async buyerOf(token: string): Promise<string> {
    let sub: unknown;
    try {
      const { payload } = await this.verify(token, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // A token without an expiry would be a buyer's identity for ever.
        requiredClaims: ['sub', 'exp'],
      });
      sub = payload.sub;
    } catch (error) {
      if (error instanceof IssuerUnreachable)
        throw new DomainError(
          'UNAVAILABLE',
          `The buyer tokens' issuer keys could not be fetched: ${error.message}`,
        );
      if (error instanceof errors.JOSEError) throw unauthenticated(reasonOf(error));
      throw error;
    }
    // The buyer's id goes into Redis keys, URLs and AMQP properties, as a body's userId does.
    if (typeof sub !== 'string' || !ID_PATTERN.test(sub))
      throw unauthenticated('its "sub" is not an identifier (docs/contract.md §2)');
    return sub;
  }
}

export function unauthenticated(why: string): DomainError {
  return new DomainError('UNAUTHENTICATED', `This call needs a buyer's valid bearer token: ${why}`);
}

/** What the buyer may be told: jose's own words, which name the claim and never the key. */
function reasonOf(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
    return 'its signature is not the issuer’s';
  return error.message;
}

/** The issuer's JWKS could not be had: a timeout, a network error, an answer that is not a JWKS. */
class IssuerUnreachable extends Error {}

/**
 * jose's remote JWKS, with its failures to fetch told apart from a token's faults: the key lookups' own refusals
 * (no key with that kid, several) stay jose's, anything else is the issuer being out of reach.
 */
function issuerDownAsUnavailable(remote: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      const tokenFault =
        error instanceof errors.JOSEError &&
        !(error instanceof errors.JWKSTimeout) &&
        !(error instanceof errors.JWKSInvalid) &&
        error.code !== errors.JOSEError.code;
      if (tokenFault) throw error;
      throw new IssuerUnreachable(error instanceof Error ? error.message : String(error), { cause: error });
    }
  };
}
