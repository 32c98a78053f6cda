import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessagePublisher } from '@boxoffice/messaging/message-publisher';
import type { MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import { OutboxBacklog } from './outbox-backlog';
import { OutboxListenerGauge } from './outbox-listener-gauge';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

export interface OutboxSetup {
  serviceName: string;
  messaging: MessagingSettings;
  outbox: OutboxRelayOptions;
}

/** The publisher, the relay that drains this service's outbox into it, and its gauges, built from the service's config. */
export function provideOutbox<C>(configType: Type<C>, setup: (config: C) => OutboxSetup): Provider[] {
  return [
    {
      provide: MessagePublisher,
      inject: [configType],
      useFactory: (config: C) => {
        const { serviceName, messaging } = setup(config);
        return new MessagePublisher({
          url: messaging.url,
          serviceName,
          publishTimeoutMs: messaging.publishTimeoutMs,
        });
      },
    },
    {
      provide: OutboxRelay,
      inject: [DataSource, MessagePublisher, configType],
      useFactory: (db: DataSource, publisher: MessagePublisher, config: C) =>
        new OutboxRelay(db, publisher, setup(config).outbox),
    },
    {
      provide: OutboxBacklog,
      inject: [OutboxRelay, ServiceMetrics],
      useFactory: (relay: OutboxRelay, metrics: ServiceMetrics) => new OutboxBacklog(relay, metrics),
    },
    {
      provide: OutboxListenerGauge,
      inject: [OutboxRelay, ServiceMetrics],
      useFactory: (relay: OutboxRelay, metrics: ServiceMetrics) => new OutboxListenerGauge(relay, metrics),
    },
  ];
}
