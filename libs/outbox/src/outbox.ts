import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';

// The table (`outbox`) is created by each service's own migration in its own schema, its DDL frozen there:
// id bigserial, message_id unique, routing_key, correlation_id, payload jsonb, created_at, sent_at (null = pending).

/** Adds a message to the outbox inside the caller's transaction: it is published if and only if that commits. */
export async function addToOutbox(
  tx: EntityManager,
  message: Omit<OutgoingMessage, 'messageId'> & { messageId?: string },
): Promise<string> {
  const messageId = message.messageId ?? randomUUID();
  await tx.query(
    'INSERT INTO outbox (message_id, routing_key, correlation_id, payload) VALUES ($1, $2, $3, $4)',
    [messageId, message.routingKey, message.correlationId, JSON.stringify(message.payload)],
  );
  return messageId;
}

/** Queues a message again under its original id, whether or not its row was sent or cleaned up since. */
export async function resendFromOutbox(tx: EntityManager, message: OutgoingMessage): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (message_id, routing_key, correlation_id, payload) VALUES ($1, $2, $3, $4)
     ON CONFLICT (message_id) DO UPDATE SET sent_at = NULL`,
    [message.messageId, message.routingKey, message.correlationId, JSON.stringify(message.payload)],
  );
}
