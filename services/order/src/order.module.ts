import { Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { provideOutbox } from '@boxoffice/outbox/provide-outbox';
import { provideDatabase } from '@boxoffice/database/provide-database';
import { databaseReadiness } from '@boxoffice/database/database-readiness';
import { HealthModule } from '@boxoffice/health/health.module';
import { SchedulingModule } from '@boxoffice/scheduling/scheduling.module';
import { brokerReadiness } from '@boxoffice/messaging/broker-readiness';
import { outboxBacklogReadiness } from '@boxoffice/outbox/outbox-readiness';
import { MetricsController } from '@boxoffice/metrics/metrics.controller';
import { provideMetrics } from '@boxoffice/metrics/provide-metrics';
import { API_TOKENS } from '@boxoffice/http/api-tokens';
import { openRedis } from '@boxoffice/redis/open-redis';
import { BuyerAuthentication } from './buyers/buyer-authentication';
import { InventoryClient } from './inventory-client/inventory.client';
import { ORDER_MIGRATIONS } from './migrations/order-migrations';
import { OrderConfig } from './order.config';
import { OrderMetrics } from './order-metrics';
import { Order } from './saga/order.entity';
import { IdempotentOrders } from './idempotency/idempotent-orders';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { RefusalsFromMemory } from './orders/refusals-from-memory';
import { OrderSaga } from './saga/order-saga';
import { SagaBacklog } from './saga/saga-backlog';
import { SoldOutSales } from './sold-out/sold-out-sales';
import { SagaDriver } from './saga/saga-driver';
import { HoldReconciliation } from './saga/hold-reconciliation';
import { IdempotencyKeyRetention } from './idempotency/idempotency-key-retention';
import { PaymentCancelledHandler } from './saga/payment-cancelled.handler';
import { PaymentResultHandler } from './saga/payment-result.handler';
import { RoomPageController } from './waiting-room/page/room-page.controller';
import { AutoRooms } from './waiting-room/auto-rooms';
import { RoomMetrics } from './waiting-room/room-metrics';
import { RoomQueue } from './waiting-room/room-queue';
import { RoomRedisCheck } from './waiting-room/room-redis-check';
import { RoomSettings } from './waiting-room/room-settings';
import { RoomStock } from './waiting-room/room-stock';
import { SagaPace } from './waiting-room/saga-pace';
import { WaitingRoom } from './waiting-room/waiting-room.entity';
import { WaitingRoomController } from './waiting-room/waiting-room.controller';
import { WaitingRoomService } from './waiting-room/waiting-room.service';

@Module({
  imports: [
    HealthModule.register(databaseReadiness(), brokerReadiness(), outboxBacklogReadiness(OrderConfig)),
    SchedulingModule,
  ],
  controllers: [
    OrdersController,
    WaitingRoomController,
    RoomPageController,
    PaymentResultHandler,
    PaymentCancelledHandler,
    MetricsController,
  ],
  providers: [
    { provide: OrderConfig, useFactory: () => new OrderConfig(process.env) },
    {
      provide: API_TOKENS,
      inject: [OrderConfig],
      useFactory: (config: OrderConfig) => ({ admin: config.adminToken }),
    },
    provideMetrics(OrderConfig),
    provideDatabase(OrderConfig, {
      entities: [Order, WaitingRoom],
      migrations: ORDER_MIGRATIONS,
    }),
    ...provideOutbox(OrderConfig, (config) => ({
      serviceName: 'order',
      messaging: config.messaging,
      outbox: config.outbox,
    })),
    OrderMetrics,
    InventoryClient,
    OrdersService,
    BuyerAuthentication,
    RefusalsFromMemory,
    IdempotentOrders,
    OrderSaga,
    {
      provide: SoldOutSales,
      useFactory: (config: OrderConfig) => new SoldOutSales(config.soldOutMemoryMs),
      inject: [OrderConfig],
    },
    SagaDriver,
    SagaBacklog,
    IdempotencyKeyRetention,
    HoldReconciliation,
    // The waiting rooms' queues: Redis, only for them (an order of a sale without a room never asks it).
    {
      provide: Redis,
      inject: [OrderConfig],
      useFactory: (config: OrderConfig) => openRedis(config.redisUrl),
    },
    {
      provide: RoomQueue,
      inject: [Redis, OrderConfig],
      useFactory: (redis: Redis, config: OrderConfig) => new RoomQueue(redis, config.redisPrefix),
    },
    RoomRedisCheck,
    RoomSettings,
    RoomMetrics,
    WaitingRoomService,
    SagaPace,
    AutoRooms,
    RoomStock,
  ],
})
export class OrderModule implements OnApplicationShutdown {
  constructor(
    private readonly db: DataSource,
    private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
    await this.db.destroy();
  }
}
