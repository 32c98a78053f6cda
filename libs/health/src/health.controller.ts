import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { ReadinessCheck } from './readiness-check';
import { ShutdownState } from './shutdown-state';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** A check that has not answered by then is down: a health poller's own timeout is a few seconds. */
const PROBE_TIMEOUT_MS = 2_000;

/** The terminus health endpoints; each service's module declares its readiness checks (HealthModule.register). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly providers: ModuleRef,
    private readonly shutdown: ShutdownState,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** The process answers: no dependency is asked, so a database outage never gets a working process restarted. */
  @Get('live')
  live(): HealthCheckResult {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  /** 200 when every dependency is there; 503 naming each one that is not, or `shutdown` once stopping. */
  @Get('ready')
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const indicators: HealthIndicatorFunction[] = this.shutdown.shuttingDown
      ? [() => this.indicators.check('shutdown').down({ message: 'shutting down' })]
      : this.checks.map((check) => () => this.probe(check));
    return this.health.check(indicators).catch((error: unknown) => {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    });
  }

  /** The name docs/contract.md gave readiness first; kept for whoever polls it. */
  @Get()
  readyByOldName(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.ready(reply);
  }

  private async probe(check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    let timer: NodeJS.Timeout | undefined;
    try {
      const { up, ...details } = await Promise.race([
        check.probe((token) => this.providers.get(token, { strict: false })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
      return up ? session.up(details) : session.down(details);
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
