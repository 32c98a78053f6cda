import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic } from './periodic.decorator';
import { SchedulingModule } from './scheduling.module';

class SweepConfig {
  constructor(readonly sweepMs?: number) {}
}

@Injectable()
class Sweeper {
  runs = 0;
  running = 0;
  mostAtOnce = 0;
  finished = 0;
  failNext = false;

  @Periodic('sweep', 10)
  async sweep(): Promise<void> {
    this.runs++;
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      await sleep(35); // longer than the interval: ticks come while a run is in progress
      if (this.failNext) {
        this.failNext = false;
        throw new Error('dependency down');
      }
    } finally {
      this.running--;
      this.finished++;
    }
  }

  configured = 0;

  @Periodic('configured', SweepConfig, (config) => config.sweepMs)
  async fromConfig(): Promise<void> {
    this.configured++;
  }
}

async function start(config: SweepConfig) {
  const module = await Test.createTestingModule({
    imports: [SchedulingModule],
    providers: [Sweeper, { provide: SweepConfig, useValue: config }],
  }).compile();
  // The application context alone: its init() and close() run the same lifecycle hooks as an HTTP app's.
  const app = await module.init();
  return { app, sweeper: app.get(Sweeper) };
}

describe('@Periodic methods (PeriodicTasks)', () => {
  it('run after bootstrap, never two at once, a failed run retried next tick; close waits for the run in progress', async () => {
    const { app, sweeper } = await start(new SweepConfig(10));
    sweeper.failNext = true;
    // Waits on the runs, not on a time: the first one fails, the next ones happen all the same.
    while (sweeper.runs < 3 || !sweeper.configured) await sleep(5);
    expect(sweeper.mostAtOnce).toBe(1);

    while (!sweeper.running) await sleep(1);
    await app.close();
    expect(sweeper.running).toBe(0);
    const stoppedAt = sweeper.runs;
    await sleep(50);
    expect(sweeper.runs).toBe(stoppedAt);
  });

  it('leaves a method off when its config gives no interval', async () => {
    const { app, sweeper } = await start(new SweepConfig(undefined));
    await sleep(60);
    expect(sweeper.configured).toBe(0);
    await app.close();
  });
});
