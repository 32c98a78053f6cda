import { applyDecorators, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { MessageFailureFilter } from './message-failure.filter';

export interface OnMessageOptions {
  /**
   * Receive the deliveries that are ready together, as `Delivery[]` (payload and context each), and answer one
   * outcome per delivery, in order (`Promise.allSettled`'s shape): see `BatchHandler` in message-consumer.ts.
   */
  batch?: boolean;
}

/**
 * Marks the method that handles the messages of one routing key, served by `AmqpMessageTransport`: acked when it
 * resolves, retried or dead-lettered with its own error when it throws. With `{ batch: true }` it gets natural
 * batches and answers per delivery: each delivery is acked, retried or dead-lettered on its own outcome. (Nest calls
 * such a handler an "event pattern"; here it is always a message from RabbitMQ.)
 */
export function OnMessage(routingKey: string, { batch = false }: OnMessageOptions = {}): MethodDecorator {
  return applyDecorators(EventPattern(routingKey, { batch }), UseFilters(MessageFailureFilter));
}
