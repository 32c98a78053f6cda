import { join } from 'node:path';
import request from 'supertest';
import { eventually } from './eventually';
import { freePort } from './free-port';
import { spawnWatched, type WatchedProcess } from './watched-process';

const ROOT = join(__dirname, '..', '..', '..');

/** A service in a node process of its own, as `npm start` runs it, compiled from its sources as it starts. */
export interface ServiceProcess extends WatchedProcess {
  readonly name: string;
  /** http://127.0.0.1:<port>, where the service listens. */
  readonly url: string;
  /** supertest against the running service. */
  http(): ReturnType<typeof request>;
}

/**
 * Starts `services/<name>/src/main.ts` (compiled on the fly by @swc-node/register, decorator metadata and the
 * `@boxoffice/*` paths included, so nothing shared such as dist/ is rebuilt under a running test) on a port of 127.0.0.1,
 * with `env` on top of this process's environment, and resolves once GET /health/ready answers 200. A service that
 * exits or stays unhealthy fails the start with what it printed.
 */
export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
  {
    healthTimeoutMs = 30_000,
    port: wantedPort,
  }: {
    healthTimeoutMs?: number;
    /** A port of its own (the one it had before, for a restart after a crash); a free one if not given. */
    port?: number;
  } = {},
): Promise<ServiceProcess> {
  const port = wantedPort ?? (await freePort());
  const prefix = name.toUpperCase();
  const entry = join(ROOT, 'services', name, 'src', 'main.ts');
  const watched = spawnWatched(['--enable-source-maps', '-r', require.resolve('@swc-node/register'), entry], {
    ...process.env,
    SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    NO_COLOR: '1', // Nest colours its logs even into a pipe
    [`${prefix}_HOST`]: '127.0.0.1',
    [`${prefix}_PORT`]: String(port),
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const failure = (why: string) =>
    new Error(`${name} ${why}; it printed:\n${watched.output().slice(-5_000)}`);
  let outcome: 'exited' | 'healthy';
  try {
    outcome = await eventually(
      async () => {
        if (watched.exit()) return 'exited';
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.status === 200 && 'healthy';
      },
      { timeoutMs: healthTimeoutMs, intervalMs: 100, what: `${name} answering GET /health/ready with 200` },
    );
  } catch (error) {
    await watched.kill();
    throw failure((error as Error).message);
  }
  if (outcome === 'exited') throw failure(`exited (${JSON.stringify(watched.exit())}) before it was healthy`);
  return { ...watched, name, url, http: () => request(url) };
}
