import { applyDecorators, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { MessageFailureFilter } from './message-failure.filter';

/**
 * Marks the method that handles the messages of one routing key, served by `AmqpMessageTransport`: acked when it
 * resolves, retried or dead-lettered with its own error when it throws. (Nest calls such a handler an "event
 * pattern"; here it is always a message from RabbitMQ.)
 */
export function OnMessage(routingKey: string): MethodDecorator {
  return applyDecorators(EventPattern(routingKey), UseFilters(MessageFailureFilter));
}
