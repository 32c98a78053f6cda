import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { OrderConfig } from '../order.config';
import { BuyerTokens } from './buyer-tokens';

// scripts/ are plain node ES modules: run as `npm start` and `npm run token` run them, in a node of their own.
const SCRIPTS = join(__dirname, '..', '..', '..', '..', 'scripts');
const node = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
const token = (...args: string[]) => node([join(SCRIPTS, 'token.mjs'), ...args]);

/** What npm start does on its start: the issuer in `dir` (made if missing), and the settings it gives order. */
function startsWith(dir: string): { created: boolean; env: Record<string, string> } {
  const module = JSON.stringify(join(SCRIPTS, 'dev-issuer.mjs'));
  const run = node([
    '--input-type=module',
    '-e',
    `import { ensureDevIssuer, devIssuerEnv } from ${module};
     const { created, publicKeyPem } = await ensureDevIssuer(${JSON.stringify(dir)});
     console.log(JSON.stringify({ created, env: devIssuerEnv(publicKeyPem) }));`,
  ]);
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe("npm start's development issuer and npm run token", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'buyer-issuer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given no issuer made yet, when a token is asked for, then it refuses, saying npm start makes the issuer', () => {
    const run = token('--user', 'alice', '--issuer-dir', join(dir, 'none'));

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/no development issuer .* npm start makes it on its first run/);
  });

  it('given the issuer npm start made, when a token is made for alice, then the order service as npm start configures it verifies it as alice', async () => {
    const first = startsWith(dir);
    const again = startsWith(dir);

    const run = token('--user', 'alice', '--ttl', '600', '--issuer-dir', dir);

    expect([first.created, again.created, again.env]).toEqual([true, false, first.env]);
    expect(statSync(join(dir, 'private-key.pem')).mode & 0o077).toBe(0);
    expect(run.status).toBe(0);
    const settings = new OrderConfig({ ...TEST_TOKENS, ...first.env }).buyers;
    expect(settings).toMatchObject({ required: false, keys: { kind: 'public-key', algorithm: 'EdDSA' } });
    const tokens = await BuyerTokens.create(settings!);
    await expect(tokens.buyerOf(run.stdout.trim())).resolves.toBe('alice');
  });

  it.each([
    ['no --user', []],
    ['a user that is not an identifier', ['--user', 'al ice']],
    ['a ttl that is not whole seconds', ['--user', 'alice', '--ttl', '1.5']],
  ])('given %s, when a token is asked for, then it refuses with the usage', (_, args) => {
    const run = token(...args, '--issuer-dir', dir);

    expect([run.status, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toMatch(/--user|--ttl/);
  });
});
