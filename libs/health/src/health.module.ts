import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, READINESS_CHECKS } from './health.controller';
import type { ReadinessCheck } from './readiness-check';
import { ShutdownState } from './shutdown-state';

/** `GET /health/live`, `GET /health/ready` (and `GET /health`, its old name) with the service's own checks. */
@Module({})
export class HealthModule {
  static register(...checks: ReadinessCheck[]): DynamicModule {
    const needed = checks.flatMap((check) => check.providers ?? []);
    return {
      module: HealthModule,
      // A failing check is in the body that the caller gets; a log line per poll would only repeat it.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [ShutdownState, { provide: READINESS_CHECKS, useValue: checks }, ...needed],
      exports: [ShutdownState, ...needed],
    };
  }
}
