import { createPublicKey, type KeyObject } from 'node:crypto';
import type { EnvReader } from '@boxoffice/config/env-reader';

/** The signature algorithms a buyer's token may use: one per kind of key (docs/contract.md §2, _Buyers_). */
export const BUYER_TOKEN_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type BuyerTokenAlgorithm = (typeof BUYER_TOKEN_ALGORITHMS)[number];

/** Where the issuer's public keys come from: one PEM key given at boot, or the issuer's JWKS over HTTP. */
export type BuyerTokenKeys =
  { kind: 'public-key'; pem: string; algorithm: BuyerTokenAlgorithm } | { kind: 'jwks'; url: string };

/** Who may buy: bearer tokens of one issuer, for one audience. */
export interface BuyerTokenSettings {
  issuer: string;
  audience: string;
  keys: BuyerTokenKeys;
  /** False: a request without a token is trusted with its body's userId (development); a token sent is verified. */
  required: boolean;
}

const NAMES = {
  issuer: 'BUYER_JWT_ISSUER',
  audience: 'BUYER_JWT_AUDIENCE',
  publicKey: 'BUYER_JWT_PUBLIC_KEY',
  jwksUrl: 'BUYER_JWT_JWKS_URL',
  required: 'BUYER_JWT_REQUIRED',
} as const;

/** The hosts an http: JWKS URL may name: the keys never cross a network unauthenticated (a test's own issuer). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Smaller RSA keys are forgeable with enough money; 2048 bits is the floor of RFC 7518 §3.3. */
const MIN_RSA_BITS = 2048;

/**
 * `BUYER_JWT_*`, all or nothing: null when none is set (the body's userId is trusted, as before issue 23). Set in
 * part, the service refuses to boot naming what is missing: a half-configured issuer must never mean "anyone".
 */
export function readBuyerTokenSettings(
  env: EnvReader,
  environment: NodeJS.ProcessEnv,
): BuyerTokenSettings | null {
  const isSet = (name: string) => (environment[name] ?? '') !== '';
  const given = Object.values(NAMES).filter(isSet);
  if (given.length === 0) return null;
  const issuer = env.label(NAMES.issuer, '', 2048);
  const audience = env.label(NAMES.audience, '', 2048);
  const jwksUrl = env.url(NAMES.jwksUrl, '', ['https:', 'http:']);
  const pem = (environment[NAMES.publicKey] ?? '').replace(/\\n/g, '\n').trim();
  const required = env.bool(NAMES.required, true);
  // Missing is judged from the environment: one set but invalid is named once, by its reader, not as missing too.
  const missing = [
    ...(isSet(NAMES.issuer) ? [] : [NAMES.issuer]),
    ...(isSet(NAMES.audience) ? [] : [NAMES.audience]),
    ...(pem || isSet(NAMES.jwksUrl) ? [] : [`${NAMES.publicKey} or ${NAMES.jwksUrl}`]),
  ];
  if (missing.length)
    env.refuse(
      `buyer tokens are set up in part (${given.join(', ')} set): ${missing.join(', ')} must be set too, or none of BUYER_JWT_*`,
    );
  if (pem && isSet(NAMES.jwksUrl)) env.refuse(`set ${NAMES.publicKey} or ${NAMES.jwksUrl}, not both`);
  // Keys fetched over plain HTTP could be swapped on the way: anyone's token would then be a buyer's.
  if (jwksUrl && !isSecureJwksUrl(new URL(jwksUrl)))
    env.refuse(
      `${NAMES.jwksUrl} must use https: (http: only for a loopback host: 127.0.0.1, ::1, localhost) (got "${jwksUrl}")`,
    );
  if (!pem) return { issuer, audience, keys: { kind: 'jwks', url: jwksUrl }, required };
  const algorithm = algorithmOf(pem);
  if (typeof algorithm !== 'string') env.refuse(`${NAMES.publicKey} ${algorithm.problem}`);
  return {
    issuer,
    audience,
    keys: { kind: 'public-key', pem, algorithm: typeof algorithm === 'string' ? algorithm : 'EdDSA' },
    required,
  };
}

function isSecureJwksUrl(url: URL): boolean {
  return url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
}

/** The one algorithm a PEM public key verifies, or what is wrong with it (never the key itself). */
function algorithmOf(pem: string): BuyerTokenAlgorithm | { problem: string } {
  // A private key would parse too (its public half is derived): refused, it must not sit in the order service.
  if (!/^-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----$/.test(pem))
    return { problem: 'must be one PEM public key (-----BEGIN PUBLIC KEY-----, SPKI), never a private key' };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { problem: 'is not a readable PEM public key' };
  }
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = key;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS) return 'RS256';
  const what = type === 'ec' ? `an EC key on ${details?.namedCurve}` : `a ${type} key`;
  return {
    problem: `is ${type === 'rsa' ? `an RSA key of ${details?.modulusLength} bits` : what}: give an Ed25519 (EdDSA), P-256 (ES256) or RSA of ${MIN_RSA_BITS}+ bits (RS256) key`,
  };
}
