import { randomUUID } from 'node:crypto';
import type { EntityManager, QueryRunner } from 'typeorm';
import type { OutgoingMessage } from './outgoing-message';

/** The outbox table, created by each service's own migration in its own schema. */
export async function createOutboxTable(db: QueryRunner): Promise<void> {
  await db.query(`
    CREATE TABLE outbox (
      id             bigserial PRIMARY KEY,
      message_id     varchar(64) NOT NULL UNIQUE,
      routing_key    varchar(64) NOT NULL,
      correlation_id varchar(64) NOT NULL,
      payload        jsonb NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT now(),
      sent_at        timestamptz
    )`);
  await db.query('CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL');
}

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
