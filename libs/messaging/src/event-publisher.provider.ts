import type { InjectionToken, Provider } from '@nestjs/common';
import { EventPublisher, type EventPublisherOptions } from './event-publisher';

/**
 * Registers `EventPublisher` in a module, built from the service's validated config, e.g.
 * `provideEventPublisher({ inject: [OrderConfig], useFactory: (c: OrderConfig) => ({ url: c.amqpUrl, serviceName: 'order' }) })`.
 * Nest then connects it at module init and closes it at shutdown.
 */
export function provideEventPublisher(factory: {
  inject?: InjectionToken[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- same contract as Nest's own useFactory
  useFactory: (...dependencies: any[]) => EventPublisherOptions;
}): Provider {
  return {
    provide: EventPublisher,
    inject: factory.inject ?? [],
    useFactory: (...dependencies: unknown[]) => new EventPublisher(factory.useFactory(...dependencies)),
  };
}
