// The bearer tokens of one `npm start`: ADMIN_TOKEN (changing sales and waiting rooms) and SERVICE_TOKEN (order →
// inventory's reservation API), and ADMISSION_TOKEN_SECRET (order's key for the waiting room's admission tokens). The services refuse to boot without them; values set in the environment are used as they are,
// and any unset one is made for this run and written to .boxoffice/tokens.env (git-ignored) for the operator's curl.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NAMES = ['ADMIN_TOKEN', 'SERVICE_TOKEN', 'ADMISSION_TOKEN_SECRET'];

/** { env: the tokens to give the services, file: where generated ones were written (null if none were) }. */
export function tokensForThisRun(env, root) {
  const generated = Object.fromEntries(
    NAMES.filter((name) => !env[name]).map((name) => [name, randomBytes(32).toString('base64url')]),
  );
  const dir = join(root, '.boxoffice');
  const file = join(dir, 'tokens.env');
  // A file left by an earlier run would hand curl tokens these services do not accept.
  if (Object.keys(generated).length === 0) {
    rmSync(file, { force: true });
    return { env: {}, file: null };
  }
  mkdirSync(dir, { recursive: true });
  const lines = Object.entries(generated).map(([name, value]) => `export ${name}=${value}`);
  writeFileSync(
    file,
    `# Made by npm start for its run of ${new Date().toISOString()}; source this file.\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
    },
  );
  return { env: generated, file };
}
