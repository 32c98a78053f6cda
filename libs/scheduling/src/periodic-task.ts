import { Logger } from '@nestjs/common';

/**
 * Runs `work` every `intervalMs`, never two runs at once (a slow run skips ticks instead of piling up); a failed
 * run is logged and the next tick tries again. `stop()` waits for the run in progress, so a module can close its
 * pools after it (call it from onModuleDestroy, before onApplicationShutdown).
 */
export class PeriodicTask {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.work()
        .catch((error) =>
          this.logger.warn(`${this.name} failed, retrying next tick: ${(error as Error).message}`),
        )
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
