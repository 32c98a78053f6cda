import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Another commit of this repository, checked out beside it, to be started and measured in the same run. */
export interface Checkout {
  root: string;
  commit: string;
  remove(): void;
}

export function checkoutAt(ref: string, repository: string): Checkout {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repository,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  const commit = git('rev-parse', '--short', `${ref}^{commit}`);
  const root = mkdtempSync(join(tmpdir(), `boxoffice-at-${commit}-`));
  git('worktree', 'add', '--detach', root, commit);
  const remove = () => {
    git('worktree', 'remove', '--force', root);
  };
  try {
    const sameLock = (() => {
      try {
        git('diff', '--quiet', commit, 'HEAD', '--', 'package-lock.json');
        return true;
      } catch {
        return false;
      }
    })();
    // The same lock file: the same node_modules will do, and saves a minute of npm ci.
    if (sameLock) symlinkSync(join(repository, 'node_modules'), join(root, 'node_modules'), 'dir');
    else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'ignore' });
  } catch (error) {
    remove();
    throw error;
  }
  return { root, commit, remove };
}
