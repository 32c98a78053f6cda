import { Controller, Get, Inject } from '@nestjs/common';

/** Each service provides the checks of the dependencies it cannot answer without. */
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
export type HealthCheck = () => Promise<unknown>;

@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  /** 200 when every dependency answers; otherwise the error filter answers 503 UNAVAILABLE. */
  @Get()
  async check(): Promise<{ status: 'ok' }> {
    await Promise.all(this.checks.map((check) => check()));
    return { status: 'ok' };
  }
}
