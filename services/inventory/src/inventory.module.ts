import { Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { provideDatabase } from '@boxoffice/database/provide-database';
import { databaseReadiness } from '@boxoffice/database/database-readiness';
import { HealthModule } from '@boxoffice/health/health.module';
import { SchedulingModule } from '@boxoffice/scheduling/scheduling.module';
import { API_TOKENS } from '@boxoffice/http/api-tokens';
import { MetricsController } from '@boxoffice/metrics/metrics.controller';
import { provideMetrics } from '@boxoffice/metrics/provide-metrics';
import { openRedis } from '@boxoffice/redis/open-redis';
import { InventoryConfig } from './inventory.config';
import { CreateSalesAndReservations1764072000000 } from './migrations/1764072000000-create-sales-and-reservations';
import { LedgerStockCounters1764532800000 } from './migrations/1764532800000-ledger-stock-counters';
import { HeldReservations } from './reservations/held-reservations';
import { HoldExpiry } from './reservations/hold-expiry';
import { Reservation } from './ledger/reservation.entity';
import { ReservationsController } from './reservations/reservations.controller';
import { ReservationsService } from './reservations/reservations.service';
import { ReservationBatchesController } from './reservations/reservation-batches.controller';
import { ReserveBatch } from './reservations/reserve-batch';
import { SettleBatch } from './reservations/settle-batch';
import { Sale } from './ledger/sale.entity';
import { SalesController } from './sales/sales.controller';
import { SalesService } from './sales/sales.service';
import { SaleStockMetrics } from './sales/sale-stock-metrics';
import { GateRebuild } from './stock-gate/gate-rebuild';
import { GateRetention } from './stock-gate/gate-retention';
import { RedisWatch } from './stock-gate/redis-watch';
import { StockGate } from './stock-gate/stock-gate';
import { stockGateReadiness } from './stock-gate/stock-gate-readiness';

@Module({
  imports: [HealthModule.register(databaseReadiness(), stockGateReadiness()), SchedulingModule],
  controllers: [SalesController, ReservationsController, ReservationBatchesController, MetricsController],
  providers: [
    { provide: InventoryConfig, useFactory: () => new InventoryConfig(process.env) },
    {
      provide: API_TOKENS,
      inject: [InventoryConfig],
      useFactory: (config: InventoryConfig) => config.tokens,
    },
    provideMetrics(InventoryConfig),
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
    GateRebuild,
    GateRetention,
    SalesService,
    SaleStockMetrics,
    ReservationsService,
    ReserveBatch,
    SettleBatch,
    HoldExpiry,
    HeldReservations,
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
