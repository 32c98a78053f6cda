import { Injectable, Module, OnApplicationShutdown, Scope } from '@nestjs/common';
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

/** Another module's pool: what it finds at onApplicationShutdown tells whether a sweep still used it. */
@Injectable()
class Pool implements OnApplicationShutdown {
  sweeper?: Sweeper;
  sweepsRunningAtShutdown?: number;

  onApplicationShutdown(): void {
    this.sweepsRunningAtShutdown = this.sweeper?.running;
  }
}

@Module({ providers: [Pool], exports: [Pool] })
class PoolModule {}

/** A sweeper Nest makes one of per consumer or per request: none of its instances is the one to sweep with. */
function scopedSweeper(scope: Scope.TRANSIENT | Scope.REQUEST) {
  @Injectable({ scope })
  class ScopedSweeper {
    static runs = 0;

    @Periodic(`sweep ${scope}`, 5)
    async sweep(): Promise<void> {
      ScopedSweeper.runs++;
    }
  }
  return ScopedSweeper;
}

const TransientSweeper = scopedSweeper(Scope.TRANSIENT);
const RequestSweeper = scopedSweeper(Scope.REQUEST);

async function start(config: SweepConfig, providers: Array<new (...args: never[]) => unknown> = []) {
  const module = await Test.createTestingModule({
    imports: [SchedulingModule, PoolModule],
    providers: [Sweeper, { provide: SweepConfig, useValue: config }, ...providers],
  }).compile();
  // The application context alone: its init() and close() run the same lifecycle hooks as an HTTP app's.
  const app = await module.init();
  return { app, sweeper: app.get(Sweeper), pool: app.get(Pool) };
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

  it("stops the sweeps before another module's onApplicationShutdown closes what they use", async () => {
    const { app, sweeper, pool } = await start(new SweepConfig(10));
    pool.sweeper = sweeper;
    while (!sweeper.running) await sleep(1);

    await app.close();

    expect(pool.sweepsRunningAtShutdown).toBe(0);
  });

  it('leaves request-scoped and transient providers out: they have no one instance to sweep with', async () => {
    const { app } = await start(new SweepConfig(10), [TransientSweeper, RequestSweeper]);
    await sleep(60);
    expect(TransientSweeper.runs).toBe(0);
    expect(RequestSweeper.runs).toBe(0);
    await app.close();
  });
});
