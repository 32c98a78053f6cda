import { Module, OnApplicationShutdown } from '@nestjs/common';
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

@Module({
  imports: [
    HealthModule.register(databaseReadiness(), brokerReadiness(), outboxBacklogReadiness(OrderConfig)),
    SchedulingModule,
  ],
  controllers: [OrdersController, PaymentResultHandler, PaymentCancelledHandler, MetricsController],
  providers: [
    { provide: OrderConfig, useFactory: () => new OrderConfig(process.env) },
    provideMetrics(OrderConfig),
    provideDatabase(OrderConfig, {
      entities: [Order],
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
  ],
})
export class OrderModule implements OnApplicationShutdown {
  constructor(private readonly db: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
