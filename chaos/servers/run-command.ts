import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs a command to its end; on failure the error carries what it printed, for the scenario's report. */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await exec(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 60_000,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`,
      { cause: error },
    );
  }
}

/** As `user` when we are root (the servers refuse to run as root), else as ourselves. */
export function asUser(user: string, command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args];
}

/** Hands a directory to the user a server runs as, when we are root. */
export async function ownBy(user: string, dir: string): Promise<void> {
  if (process.getuid?.() === 0) await runCommand('chown', ['-R', `${user}:${user}`, dir]);
}
