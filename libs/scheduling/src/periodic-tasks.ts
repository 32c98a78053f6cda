import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { periodicRuns, type Every } from './periodic.decorator';
import { PeriodicTask } from './periodic-task';

/**
 * Starts every `@Periodic` method of the application's providers once it has booted, and stops them in
 * onModuleDestroy, waiting for the runs in progress: before any onApplicationShutdown closes a pool they use.
 */
@Injectable()
export class PeriodicTasks implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly tasks: PeriodicTask[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly providers: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    const instances = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      // A request-scoped or transient provider has no one instance to sweep with (as @nestjs/schedule's explorer)
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) continue;
      const { instance } = wrapper;
      if (typeof instance === 'object' && instance !== null) instances.add(instance);
    }
    for (const instance of instances) {
      for (const run of periodicRuns(instance)) {
        const intervalMs = this.intervalOf(run.every);
        if (intervalMs === undefined) continue;
        const method = (instance as Record<string | symbol, () => Promise<unknown>>)[run.method];
        const task = new PeriodicTask(run.name, intervalMs, () => method.call(instance));
        task.start();
        this.tasks.push(task);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
  }

  private intervalOf(every: Every): number | undefined {
    if (typeof every === 'number') return every;
    return every.every(this.providers.get(every.config, { strict: false }) as never);
  }
}
