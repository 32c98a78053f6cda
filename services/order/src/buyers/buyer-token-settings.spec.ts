import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@boxoffice/config/env-reader';
import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { OrderConfig } from '../order.config';

const BASE = { ...TEST_TOKENS };
const pem = { format: 'pem', type: 'spki' } as const;
const ED25519 = generateKeyPairSync('ed25519').publicKey.export(pem) as string;
const ecKey = (namedCurve: string) =>
  generateKeyPairSync('ec', { namedCurve }).publicKey.export(pem) as string;
const rsaKey = (modulusLength: number) =>
  generateKeyPairSync('rsa', { modulusLength }).publicKey.export(pem) as string;
const ISSUER = { BUYER_JWT_ISSUER: 'https://id.example', BUYER_JWT_AUDIENCE: 'boxoffice-order' };

/** The problems the service refuses to boot with, one per line. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    new OrderConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('OrderConfig: buyer tokens (BUYER_JWT_*)', () => {
  it('given none of BUYER_JWT_*, when read at boot, then buyers are not authenticated (null)', () => {
    expect(new OrderConfig(BASE).buyers).toBeNull();
  });

  it.each([
    ['an Ed25519 key', ED25519, 'EdDSA'],
    ['a P-256 key', ecKey('P-256'), 'ES256'],
    ['an RSA key of 2048 bits', rsaKey(2048), 'RS256'],
  ])(
    'given the issuer, audience and %s, when read at boot, then tokens are required and verified with the algorithm of that key',
    (_, key, algorithm) => {
      const { buyers } = new OrderConfig({ ...BASE, ...ISSUER, BUYER_JWT_PUBLIC_KEY: key });

      expect(buyers).toEqual({
        issuer: 'https://id.example',
        audience: 'boxoffice-order',
        keys: { kind: 'public-key', pem: key.trim(), algorithm },
        required: true,
      });
    },
  );

  it('given the PEM with its line breaks written as \\n (an env file), when read at boot, then it is the same key', () => {
    const { buyers } = new OrderConfig({
      ...BASE,
      ...ISSUER,
      BUYER_JWT_PUBLIC_KEY: ED25519.trim().replace(/\n/g, '\\n'),
      BUYER_JWT_REQUIRED: 'false',
    });

    expect(buyers).toMatchObject({ keys: { pem: ED25519.trim(), algorithm: 'EdDSA' }, required: false });
  });

  it('given a JWKS URL, when read at boot, then keys come from it', () => {
    const { buyers } = new OrderConfig({
      ...BASE,
      ...ISSUER,
      BUYER_JWT_JWKS_URL: 'https://id.example/jwks.json',
    });

    expect(buyers).toMatchObject({
      keys: { kind: 'jwks', url: 'https://id.example/jwks.json' },
      required: true,
    });
  });

  it.each(['http://127.0.0.1:8080/jwks', 'http://[::1]:8080/jwks', 'http://localhost/jwks'])(
    'given a JWKS URL over plain http: to the loopback host of %s, when read at boot, then keys come from it (a test issuer)',
    (url) => {
      const { buyers } = new OrderConfig({ ...BASE, ...ISSUER, BUYER_JWT_JWKS_URL: url });

      expect(buyers).toMatchObject({ keys: { kind: 'jwks', url } });
    },
  );

  it.each([
    [
      'only the issuer',
      { BUYER_JWT_ISSUER: 'https://id.example' },
      /BUYER_JWT_AUDIENCE, BUYER_JWT_PUBLIC_KEY or BUYER_JWT_JWKS_URL must be set too/,
    ],
    [
      'only BUYER_JWT_REQUIRED',
      { BUYER_JWT_REQUIRED: 'true' },
      /BUYER_JWT_ISSUER, BUYER_JWT_AUDIENCE, BUYER_JWT_PUBLIC_KEY or BUYER_JWT_JWKS_URL must be set too/,
    ],
    ['no key', ISSUER, /BUYER_JWT_PUBLIC_KEY or BUYER_JWT_JWKS_URL must be set too/],
    [
      'a key and a JWKS URL',
      { ...ISSUER, BUYER_JWT_PUBLIC_KEY: ED25519, BUYER_JWT_JWKS_URL: 'https://id.example/jwks' },
      /set BUYER_JWT_PUBLIC_KEY or BUYER_JWT_JWKS_URL, not both/,
    ],
    [
      'a private key',
      {
        ...ISSUER,
        BUYER_JWT_PUBLIC_KEY: generateKeyPairSync('ed25519').privateKey.export({
          format: 'pem',
          type: 'pkcs8',
        }) as string,
      },
      /BUYER_JWT_PUBLIC_KEY must be one PEM public key .* never a private key/,
    ],
    [
      'not a key',
      { ...ISSUER, BUYER_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
      /not a readable PEM public key/,
    ],
    ['a P-384 key', { ...ISSUER, BUYER_JWT_PUBLIC_KEY: ecKey('P-384') }, /an EC key on secp384r1/],
    ['an RSA key of 1024 bits', { ...ISSUER, BUYER_JWT_PUBLIC_KEY: rsaKey(1024) }, /an RSA key of 1024 bits/],
    [
      'a JWKS URL that is not http(s)',
      { ...ISSUER, BUYER_JWT_JWKS_URL: 'ftp://id.example/jwks' },
      /BUYER_JWT_JWKS_URL must use https: or http:/,
    ],
    [
      'a JWKS URL over plain http: to a host not on loopback',
      { ...ISSUER, BUYER_JWT_JWKS_URL: 'http://id.example/jwks' },
      /BUYER_JWT_JWKS_URL must use https: \(http: only for a loopback host/,
    ],
    [
      'an invalid issuer (with a key)',
      { ...ISSUER, BUYER_JWT_ISSUER: 'https://id.example/a b', BUYER_JWT_PUBLIC_KEY: ED25519 },
      /^BUYER_JWT_ISSUER must be 1-2048 printable characters/,
    ],
    [
      'an invalid audience (with a key)',
      { ...ISSUER, BUYER_JWT_AUDIENCE: 'boxoffice order', BUYER_JWT_PUBLIC_KEY: ED25519 },
      /^BUYER_JWT_AUDIENCE must be 1-2048 printable characters/,
    ],
    [
      'BUYER_JWT_REQUIRED not a boolean',
      { ...ISSUER, BUYER_JWT_PUBLIC_KEY: ED25519, BUYER_JWT_REQUIRED: 'yes' },
      /BUYER_JWT_REQUIRED must be true or false/,
    ],
  ])(
    'given %s, when read at boot, then the service refuses to start, naming what is wrong',
    (_, env, problem) => {
      expect(problemsOf(env)).toEqual([expect.stringMatching(problem)]);
    },
  );

  it('given buyer settings in part and another bad setting, when read at boot, then both are named at once and no key is echoed', () => {
    const problems = problemsOf({ BUYER_JWT_PUBLIC_KEY: ED25519, ORDER_MAX_IN_FLIGHT: '0' });

    expect(problems).toEqual([
      expect.stringMatching(/BUYER_JWT_ISSUER, BUYER_JWT_AUDIENCE must be set too/),
      expect.stringMatching(/ORDER_MAX_IN_FLIGHT/),
    ]);
    expect(problems.join('\n')).not.toContain('BEGIN PUBLIC KEY');
  });
});
