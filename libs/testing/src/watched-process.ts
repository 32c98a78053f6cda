import { spawn, type ChildProcess } from 'node:child_process';

/** The tail of a process's output kept for failure messages: enough for a stack trace and the lines before it. */
const KEPT_OUTPUT_CHARS = 20_000;

/** A node process a test started: its output kept for failure messages, and stopped for sure when the test ends. */
export interface WatchedProcess {
  readonly child: ChildProcess;
  /** The last of what it printed, stdout and stderr interleaved as they came. */
  output(): string;
  /** All it printed from the last `stop` signal on, however much: what a shutdown said, never cut by the tail. */
  outputSinceStop(): string;
  /** Whether it has exited, and how. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Sends `signal` and waits for the exit; SIGKILL if it has not exited after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would, and waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Should jest exit without stopping them (a crashed suite, a timeout), no service is left holding a port. The
 * hook is there only while some process runs, so that suites that stop theirs leave no listener behind.
 */
const running = new Set<ChildProcess>();
const killRunning = () => running.forEach((child) => child.kill('SIGKILL'));
function watch(child: ChildProcess): void {
  if (running.size === 0) process.on('exit', killRunning);
  running.add(child);
}
function unwatch(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) process.removeListener('exit', killRunning);
}

/** Runs `node <args>` with `env` (and nothing else of this process's environment). */
export function spawnWatched(args: string[], env: NodeJS.ProcessEnv): WatchedProcess {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let sinceStop: string | undefined; // kept only once a stop began
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-KEPT_OUTPUT_CHARS);
    if (sinceStop !== undefined) sinceStop += text;
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`\n[spawn failed: ${error.message}]\n`)));

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  watch(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      unwatch(child);
      resolve();
    }),
  );

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> => {
    if (exit) return;
    sinceStop = '';
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    child,
    output: () => output,
    outputSinceStop: () => sinceStop ?? '',
    exit: () => exit,
    stop,
    kill: () => stop('SIGKILL'),
  };
}
