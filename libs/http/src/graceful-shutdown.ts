import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from '@boxoffice/health/shutdown-state';

/** Only these: Nest's default list has SIGUSR2 too, which profilers and debuggers send to a running process. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface GracefulShutdownOptions {
  timeoutMs: number;
  /** Serving on, not ready, for this long before the port closes (a load balancer's poll interval). */
  delayMs: number;
  /** The message consumers, stopped with the HTTP server: no new deliveries, running handlers finish. */
  consumers?: { close(): Promise<void> };
}

/**
 * On SIGTERM or SIGINT: not ready at once, then (after `delayMs`) no new HTTP requests nor deliveries while the
 * running ones finish, then Nest's hooks (the outbox relay ends its batch, periodic tasks their run, pools close),
 * and exit 0. Past `timeoutMs` the process exits 1 naming what was still open; unacked deliveries and unsent
 * outbox rows are durable and taken up again on the next start. A second signal changes nothing.
 */
export function stopOnSignals(
  app: NestFastifyApplication,
  name: string,
  options: GracefulShutdownOptions,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return new Logger(name).log(`${signal} again: already stopping`);
    stopping = true;
    void shutDown(app, new Logger(name), signal, options);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

async function shutDown(
  app: NestFastifyApplication,
  logger: Logger,
  signal: NodeJS.Signals,
  { timeoutMs, delayMs, consumers }: GracefulShutdownOptions,
): Promise<void> {
  const startedAt = Date.now();
  const open = new Set<string>();
  const took: string[] = [];
  const deadline = setTimeout(() => {
    logger.error(
      `still stopping after ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS), exiting anyway; still open: ` +
        `${[...open].join(', ') || 'nothing named'}; active handles: ${activeResources()}`,
    );
    process.exit(1);
  }, timeoutMs);
  const step = async (what: string, work: () => Promise<unknown>) => {
    const stepStartedAt = Date.now();
    open.add(what);
    try {
      await work();
    } catch (error) {
      logger.warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      open.delete(what);
      took.push(`${what} ${Date.now() - stepStartedAt} ms`);
    }
  };
  logger.log(`${signal}: not ready any more, stopping within ${timeoutMs} ms`);
  readinessOf(app)?.begin(signal);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await Promise.all([
    step('HTTP requests in flight', () => app.getHttpAdapter().close()),
    consumers && step('message handlers in flight', () => consumers.close()),
  ]);
  await step('outbox relay batch, periodic tasks, connections', () => app.close());
  clearTimeout(deadline);
  logger.log(`stopped in ${Date.now() - startedAt} ms (${took.join(', ')})`);
  process.exit(0);
}

/** An app without the health module has no readiness to withdraw, and still stops. */
function readinessOf(app: NestFastifyApplication): ShutdownState | undefined {
  try {
    return app.get(ShutdownState, { strict: false });
  } catch {
    return undefined;
  }
}

/** What keeps the event loop alive, by kind: `TCPSocketWrap×3, Timeout×1`. */
function activeResources(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${kind}×${count}`).join(', ') || 'none';
}
