import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PeriodicTasks } from './periodic-tasks';

/** Imported once by a service's module: runs the `@Periodic` methods of all its providers. */
@Module({ imports: [DiscoveryModule], providers: [PeriodicTasks] })
export class SchedulingModule {}
