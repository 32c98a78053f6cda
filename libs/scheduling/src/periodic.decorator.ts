import type { Type } from '@nestjs/common';

/** How often a periodic method runs: a fixed interval, or one read from the service's config (undefined: never). */
export type Every = number | { config: Type; every: (config: never) => number | undefined };

/** One `@Periodic` method of a provider, as PeriodicTasks finds it. */
export interface PeriodicRun {
  name: string;
  method: string | symbol;
  every: Every;
}

const PERIODIC_RUNS = Symbol('PERIODIC_RUNS');

/** Only on a method that takes nothing and returns a Promise: PeriodicTask awaits each run before the next. */
type PeriodicMethod = <M extends () => Promise<unknown>>(
  target: object,
  method: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

/**
 * Runs the method every `intervalMs` while the application runs (PeriodicTasks, in SchedulingModule, starts it after
 * bootstrap and stops it before the pools close): never two runs at once, a failed run logged and retried next tick.
 */
export function Periodic(name: string, intervalMs: number): PeriodicMethod;
/** The interval read from the service's config; `undefined` leaves the method off. */
export function Periodic<C>(
  name: string,
  config: Type<C>,
  every: (config: C) => number | undefined,
): PeriodicMethod;
export function Periodic<C>(
  name: string,
  intervalOrConfig: number | Type<C>,
  every?: (config: C) => number | undefined,
): PeriodicMethod {
  return (target, method) => {
    const run: PeriodicRun = {
      name,
      method,
      every:
        typeof intervalOrConfig === 'number' ? intervalOrConfig : { config: intervalOrConfig, every: every! },
    };
    Reflect.defineMetadata(PERIODIC_RUNS, [...periodicRuns(target), run], target);
  };
}

/** The `@Periodic` methods of an instance's class. */
export function periodicRuns(instance: object): PeriodicRun[] {
  return (Reflect.getMetadata(PERIODIC_RUNS, instance) as PeriodicRun[] | undefined) ?? [];
}
