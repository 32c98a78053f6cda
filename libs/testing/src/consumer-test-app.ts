import type { INestApplication, Type } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  AmqpMessageTransport,
  type AmqpMessageTransportOptions,
} from '@boxoffice/messaging/amqp-message.transport';
import { MessageFailureFilter } from '@boxoffice/messaging/message-failure.filter';

/** An app of `controllers` (their `@EventPattern` handlers) consuming through an AmqpMessageTransport, started. */
export async function startConsumerApp(
  controllers: Type[],
  options: AmqpMessageTransportOptions,
): Promise<{ app: INestApplication; transport: AmqpMessageTransport }> {
  const moduleRef = await Test.createTestingModule({ controllers }).compile();
  const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
  const transport = new AmqpMessageTransport(options);
  // Deferred, so that the filter is in place before Nest wires the handlers.
  app
    .connectMicroservice({ strategy: transport }, { deferInitialization: true })
    .useGlobalFilters(new MessageFailureFilter());
  await app.startAllMicroservices();
  await app.init();
  return { app, transport };
}

/** The payload of the consumer specs' probe messages: an order id, as every saga message has. */
export interface ProbeMessage {
  orderId: string;
}

export function parseProbeMessage(raw: unknown): ProbeMessage {
  const orderId = (raw as { orderId?: unknown } | null)?.orderId;
  if (typeof orderId !== 'string') throw new Error('orderId must be a string');
  return { orderId };
}
