// The development issuer of buyer tokens (docs/contract.md §2, _Buyers_) that `npm start` sets up: an Ed25519 key
// pair made on the first start into .boxoffice/buyer-issuer/ (git-ignored; the private key mode 600) and kept, so
// that tokens made by `npm run token` stay valid across restarts. Order gets its public key with
// BUYER_JWT_REQUIRED=false: a token sent is verified and is the buyer, a request without one is taken on trust.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT } from 'jose';

export const DEV_ISSUER = { issuer: 'boxoffice-dev-issuer', audience: 'boxoffice-order', algorithm: 'EdDSA' };
const PRIVATE_KEY = 'private-key.pem';
const PUBLIC_KEY = 'public-key.pem';

export const devIssuerDir = (root) => join(root, '.boxoffice', 'buyer-issuer');

/** The issuer's key pair in `dir`, made now if it is not there yet: { created, publicKeyPem }. */
export async function ensureDevIssuer(dir) {
  if (existsSync(join(dir, PRIVATE_KEY)) && existsSync(join(dir, PUBLIC_KEY)))
    return { created: false, publicKeyPem: readFileSync(join(dir, PUBLIC_KEY), 'utf8') };
  const { privateKey, publicKey } = await generateKeyPair(DEV_ISSUER.algorithm, { extractable: true });
  const publicKeyPem = await exportSPKI(publicKey);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, PRIVATE_KEY), await exportPKCS8(privateKey), { mode: 0o600 });
  writeFileSync(join(dir, PUBLIC_KEY), publicKeyPem);
  return { created: true, publicKeyPem };
}

/** The order service's settings that trust the development issuer, tokens optional. */
export function devIssuerEnv(publicKeyPem) {
  return {
    BUYER_JWT_ISSUER: DEV_ISSUER.issuer,
    BUYER_JWT_AUDIENCE: DEV_ISSUER.audience,
    BUYER_JWT_PUBLIC_KEY: publicKeyPem,
    BUYER_JWT_REQUIRED: 'false',
  };
}

/** `npm start`'s buyer settings: any BUYER_JWT_* in its environment is the operator's and left alone. */
export async function devIssuerForThisRun(env, root) {
  if (Object.keys(env).some((name) => name.startsWith('BUYER_JWT_') && env[name]))
    return { env: {}, note: null };
  const dir = devIssuerDir(root);
  const { created, publicKeyPem } = await ensureDevIssuer(dir);
  return {
    env: devIssuerEnv(publicKeyPem),
    note: `buyer tokens: the development issuer in ${dir}${created ? ' (made now)' : ''}, optional; npm run token -- --user <id>`,
  };
}

export class NoDevIssuer extends Error {}

/** A token of the development issuer in `dir` for `user`, valid `ttlSeconds`. */
export async function signDevToken(dir, user, ttlSeconds) {
  if (!existsSync(join(dir, PRIVATE_KEY)))
    throw new NoDevIssuer(
      `no development issuer in ${dir}: npm start makes it on its first run (or give --issuer-dir)`,
    );
  const key = await importPKCS8(readFileSync(join(dir, PRIVATE_KEY), 'utf8'), DEV_ISSUER.algorithm);
  return new SignJWT({})
    .setProtectedHeader({ alg: DEV_ISSUER.algorithm, typ: 'JWT' })
    .setSubject(user)
    .setIssuer(DEV_ISSUER.issuer)
    .setAudience(DEV_ISSUER.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key);
}
