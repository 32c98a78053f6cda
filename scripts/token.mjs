// `npm run token -- --user alice [--ttl 3600]`: prints a buyer's bearer token of the development issuer that
// `npm start` sets up (scripts/dev-issuer.mjs), for `curl -H "Authorization: Bearer $(npm run -s token -- --user alice)"`.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { devIssuerDir, NoDevIssuer, signDevToken } from './dev-issuer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A buyer's id is an identifier (docs/contract.md §2): the order service refuses a token whose sub is not one.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const MAX_TTL_SECONDS = 7 * 24 * 3600;
const USAGE = 'usage: npm run token -- --user <id> [--ttl <seconds, default 3600>] [--issuer-dir <dir>]';

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      user: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      'issuer-dir': { type: 'string', default: devIssuerDir(root) },
    },
  }));
} catch (error) {
  fail(`${error.message}\n${USAGE}`, 2);
}
if (!options.user) fail(USAGE, 2);
if (!ID_PATTERN.test(options.user))
  fail(`--user must be 1-64 letters, digits, "_", "-", ".", ":" starting with a letter or digit`, 2);
const ttl = Number(options.ttl);
if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
  fail(`--ttl must be whole seconds from 1 to ${MAX_TTL_SECONDS}`, 2);

try {
  process.stdout.write(`${await signDevToken(resolve(options['issuer-dir']), options.user, ttl)}\n`);
} catch (error) {
  fail(error instanceof NoDevIssuer ? error.message : `could not make a token: ${error.message}`);
}
