import type { INestApplication } from '@nestjs/common';
import { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import { AmqpMessageTransport, type AmqpMessageTransportOptions } from './amqp-message.transport';
import { ConsumerStatus } from './broker-readiness';
import { DeliveryCounts } from './delivery-counts';

/** Attaches the AMQP consumers to an HTTP app (a hybrid app) and starts them. */
export async function startMessageTransport(
  app: INestApplication,
  options: AmqpMessageTransportOptions,
): Promise<AmqpMessageTransport> {
  const strategy = new AmqpMessageTransport({
    counts: new DeliveryCounts(app.get(ServiceMetrics)),
    ...options,
  });
  // Not inheriting the HTTP pipes and filters: the transport validates payloads and owns retries. Handler
  // controllers carry @UseFilters(MessageFailureFilter), so retries and the DLQ see the handler's own error.
  app.connectMicroservice({ strategy }, { inheritAppConfig: false });
  consumerStatusOf(app)?.watch(strategy);
  await app.startAllMicroservices();
  return strategy;
}

/** Present when the module declares brokerReadiness(). */
function consumerStatusOf(app: INestApplication): ConsumerStatus | undefined {
  try {
    return app.get(ConsumerStatus, { strict: false });
  } catch {
    return undefined;
  }
}
