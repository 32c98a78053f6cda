import { Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { provideDatabase } from '@boxoffice/database/provide-database';
import { API_TOKENS } from '@boxoffice/http/api-tokens';
import { HEALTH_CHECKS, HealthController } from '@boxoffice/http/health.controller';
import { openRedis } from './stock-gate/open-redis';
import { InventoryConfig } from './inventory.config';
import { CreateSalesAndReservations1764072000000 } from './migrations/1764072000000-create-sales-and-reservations';
import { LedgerStockCounters1764532800000 } from './migrations/1764532800000-ledger-stock-counters';
import { HoldExpiry } from './reservations/hold-expiry';
import { Reservation } from './reservations/reservation.entity';
import { ReservationsController } from './reservations/reservations.controller';
import { ReservationsService } from './reservations/reservations.service';
import { Sale } from './sales/sale.entity';
import { SalesController } from './sales/sales.controller';
import { SalesService } from './sales/sales.service';
import { GateRebuild } from './stock-gate/gate-rebuild';
import { GateRetention } from './stock-gate/gate-retention';
import { RedisWatch } from './stock-gate/redis-watch';
import { StockGate } from './stock-gate/stock-gate';

@Module({
  controllers: [SalesController, ReservationsController, HealthController],
  providers: [
    { provide: InventoryConfig, useFactory: () => new InventoryConfig(process.env) },
    {
      provide: API_TOKENS,
      inject: [InventoryConfig],
      useFactory: (config: InventoryConfig) => config.tokens,
    },
    provideDatabase(InventoryConfig, {
      entities: [Sale, Reservation],
      migrations: [CreateSalesAndReservations1764072000000, LedgerStockCounters1764532800000],
    }),
    {
      provide: Redis,
      inject: [InventoryConfig],
      useFactory: (config: InventoryConfig) => openRedis(config.redisUrl),
    },
    {
      provide: RedisWatch,
      inject: [Redis, InventoryConfig],
      useFactory: (redis: Redis, config: InventoryConfig) =>
        RedisWatch.start(redis, config.redisUrl, config.redisPrefix),
    },
    {
      provide: StockGate,
      inject: [Redis, InventoryConfig, RedisWatch],
      useFactory: (redis: Redis, config: InventoryConfig, watch: RedisWatch) =>
        new StockGate(redis, config.redisPrefix, watch),
    },
    {
      provide: HEALTH_CHECKS,
      inject: [DataSource, Redis],
      useFactory: (db: DataSource, redis: Redis) => [() => db.query('SELECT 1'), () => redis.ping()],
    },
    GateRebuild,
    GateRetention,
    SalesService,
    ReservationsService,
    HoldExpiry,
  ],
})
export class InventoryModule implements OnApplicationShutdown {
  constructor(
    private readonly db: DataSource,
    private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
    this.redis.disconnect();
  }
}
