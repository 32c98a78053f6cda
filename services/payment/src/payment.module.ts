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
import { PaymentGateway } from './gateway/payment-gateway';
import { SimulatedGateway } from './gateway/simulated-gateway';
import { CreatePayments1764072200000 } from './migrations/1764072200000-create-payments';
import { GatewayOutages1764600000000 } from './migrations/1764600000000-gateway-outages';
import { GatewayCallCurrency1764600200000 } from './migrations/1764600200000-gateway-call-currency';
import { OutboxParking1765152100000 } from './migrations/1765152100000-outbox-parking';
import { OutboxTraceContext1765238500000 } from './migrations/1765238500000-outbox-trace-context';
import { GatewayCallsByOrder1765497600200 } from './migrations/1765497600200-gateway-calls-by-order';
import { Cancellations1765500000000 } from './migrations/1765500000000-cancellations';
import { OutboxSentIndex1765411300000 } from './migrations/1765411300000-outbox-sent-index';
import { PaymentConfig } from './payment.config';
import { PaymentMetrics } from './payment-metrics';
import { Cancellation } from './payments/cancellation.entity';
import { ChargeReconciliation } from './payments/charge-reconciliation';
import { OrderCancelledHandler } from './payments/order-cancelled.handler';
import { OrderCreatedHandler } from './payments/order-created.handler';
import { Payment } from './payments/payment.entity';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsService } from './payments/payments.service';

@Module({
  imports: [
    HealthModule.register(databaseReadiness(), brokerReadiness(), outboxBacklogReadiness(PaymentConfig)),
    SchedulingModule,
  ],
  controllers: [PaymentsController, OrderCreatedHandler, OrderCancelledHandler, MetricsController],
  providers: [
    { provide: PaymentConfig, useFactory: () => new PaymentConfig(process.env) },
    provideMetrics(PaymentConfig),
    provideDatabase(PaymentConfig, {
      entities: [Payment, Cancellation],
      migrations: [
        CreatePayments1764072200000,
        GatewayOutages1764600000000,
        GatewayCallCurrency1764600200000,
        OutboxParking1765152100000,
        OutboxTraceContext1765238500000,
        GatewayCallsByOrder1765497600200,
        Cancellations1765500000000,
        OutboxSentIndex1765411300000,
      ],
    }),
    ...provideOutbox(PaymentConfig, (config) => ({
      serviceName: 'payment',
      messaging: config.messaging,
      outbox: config.outbox,
    })),
    {
      provide: PaymentGateway,
      inject: [DataSource, PaymentConfig],
      useFactory: (db: DataSource, config: PaymentConfig) =>
        new SimulatedGateway(db, {
          latencyMs: config.gatewayLatencyMs,
          declineRate: config.gatewayDeclineRate,
          timeoutMs: config.gatewayTimeoutMs,
        }),
    },
    PaymentMetrics,
    PaymentsService,
    ChargeReconciliation,
  ],
})
export class PaymentModule implements OnApplicationShutdown {
  constructor(private readonly db: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
