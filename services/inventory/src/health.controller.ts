import { Controller, Get } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';

@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly redis: Redis,
  ) {}

  /** 200 when Postgres and Redis answer; otherwise the error filter answers 503 UNAVAILABLE. */
  @Get()
  async check(): Promise<{ status: 'ok' }> {
    await Promise.all([this.db.query('SELECT 1'), this.redis.ping()]);
    return { status: 'ok' };
  }
}
