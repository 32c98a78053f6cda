import { Logger, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTracing } from '@boxoffice/tracing/start-tracing';
import type { TracingSettings } from '@boxoffice/tracing/tracing-settings';
import type { LogSettings } from '@boxoffice/logging/log-settings';
import type { HttpSettings } from './http-settings';
import { createHttpApp } from './create-http-app';
import { stopOnSignals } from './graceful-shutdown';

/**
 * A service's main(): the HTTP app, whatever else it attaches (consumers, stopped with it on SIGTERM), then
 * listen; a failed boot exits 1.
 */
export function runService(
  name: string,
  module: Type<unknown>,
  readConfig: () => { http: HttpSettings; tracing: TracingSettings; log: LogSettings },
  attach?: (app: NestFastifyApplication) => Promise<{ close(): Promise<void> } | void>,
): void {
  const start = async () => {
    const { http, tracing, log } = readConfig();
    // Before the app: its HTTP hooks are added only when tracing is on.
    startTracing(tracing);
    const app = await createHttpApp(module, { ...http, log });
    const consumers = (await attach?.(app)) ?? undefined;
    await app.listen(http.port, http.host);
    // Only once listening: a signal during boot kills the process as a crash would, which loses nothing.
    stopOnSignals(app, name, { timeoutMs: http.shutdownTimeoutMs, delayMs: http.shutdownDelayMs, consumers });
    new Logger(name).log(`listening on http://${http.host}:${http.port}`);
  };
  start().catch((error) => {
    console.error(`${name} failed to start: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
