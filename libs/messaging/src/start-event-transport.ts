import type { INestApplication } from '@nestjs/common';
import { AmqpEventTransport, type AmqpEventTransportOptions } from './amqp-event.transport';

/** Attaches the AMQP consumers to an HTTP app (a hybrid app) and starts them. */
export async function startEventTransport(
  app: INestApplication,
  options: AmqpEventTransportOptions,
): Promise<AmqpEventTransport> {
  const strategy = new AmqpEventTransport(options);
  // Not inheriting the HTTP pipes and filters: the transport validates payloads and owns retries. Handler
  // controllers carry @UseFilters(EventFailureFilter), so retries and the DLQ see the handler's own error.
  app.connectMicroservice({ strategy }, { inheritAppConfig: false });
  await app.startAllMicroservices();
  return strategy;
}
