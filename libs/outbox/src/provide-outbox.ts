import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventPublisher } from '@boxoffice/messaging/event-publisher';
import type { MessagingSettings } from '@boxoffice/messaging/messaging-settings';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

export interface OutboxSetup {
  serviceName: string;
  messaging: MessagingSettings;
  outbox: OutboxRelayOptions;
}

/** The publisher and the relay that drains this service's outbox into it, built from the service's config. */
export function provideOutbox<C>(configType: Type<C>, setup: (config: C) => OutboxSetup): Provider[] {
  return [
    {
      provide: EventPublisher,
      inject: [configType],
      useFactory: (config: C) => {
        const { serviceName, messaging } = setup(config);
        return new EventPublisher({
          url: messaging.url,
          serviceName,
          publishTimeoutMs: messaging.publishTimeoutMs,
        });
      },
    },
    {
      provide: OutboxRelay,
      inject: [DataSource, EventPublisher, configType],
      useFactory: (db: DataSource, publisher: EventPublisher, config: C) =>
        new OutboxRelay(db, publisher, setup(config).outbox),
    },
  ];
}
