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
import { CreateOrders1764072100000 } from './migrations/1764072100000-create-orders';
import { TimeoutClaims1764600100000 } from './migrations/1764600100000-timeout-claims';
import { IdempotencyKeyAge1764600300000 } from './migrations/1764600300000-idempotency-key-age';
import { OutboxParking1765152000000 } from './migrations/1765152000000-outbox-parking';
import { OutboxTraceContext1765238400000 } from './migrations/1765238400000-outbox-trace-context';
import { SagaSteps1765411200000 } from './migrations/1765411200000-saga-steps';
import { OutboxSentIndex1765411250000 } from './migrations/1765411250000-outbox-sent-index';
import { IdempotencyKeyReleasing1765411300000 } from './migrations/1765411300000-idempotency-key-releasing';
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
      migrations: [
        CreateOrders1764072100000,
        TimeoutClaims1764600100000,
        IdempotencyKeyAge1764600300000,
        OutboxParking1765152000000,
        OutboxTraceContext1765238400000,
        SagaSteps1765411200000,
        OutboxSentIndex1765411250000,
        IdempotencyKeyReleasing1765411300000,
      ],
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
