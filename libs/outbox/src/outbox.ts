import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import { currentTraceHeaders } from '@boxoffice/tracing/spans';
import { notifyingRelays } from './outbox-channel';
import { notifiesRelays, wakeOnCommit } from './in-process-relays';

// The table (`outbox`) is created by each service's own migrations in its own schema, their DDL frozen there:
// id bigserial, message_id unique, routing_key, correlation_id, payload jsonb, created_at, sent_at (null = pending),
// attempts (refusals so far), last_error, next_attempt_at (not claimed before), parked_at (refused too often),
// trace_context (the W3C headers current when the row was written, null with tracing off: the relay's span joins
// that trace).

/**
 * Adds a message to the outbox inside the caller's transaction: it is published if and only if that commits, and
 * the commit wakes the relay of this process, and every relay of this outbox (NOTIFY) unless `OUTBOX_NOTIFY` is off.
 * The caller wakes nothing itself.
 */
export async function addToOutbox(
  tx: EntityManager,
  message: Omit<OutgoingMessage, 'messageId'> & { messageId?: string },
): Promise<string> {
  const messageId = message.messageId ?? randomUUID();
  await insertIntoOutbox(
    tx,
    `INSERT INTO outbox (message_id, routing_key, correlation_id, payload, trace_context)
     VALUES ($1, $2, $3, $4, $5)`,
    [messageId, message.routingKey, message.correlationId, JSON.stringify(message.payload), traceOf(message)],
  );
  return messageId;
}

/** A row put again: pending afresh if it was sent or parked; a row still pending is left to its backoff. */
const PUT_AGAIN = `ON CONFLICT (message_id) DO UPDATE SET sent_at = NULL, parked_at = NULL, attempts = 0,
       next_attempt_at = now(), trace_context = EXCLUDED.trace_context
     WHERE outbox.sent_at IS NOT NULL OR outbox.parked_at IS NOT NULL`;

/**
 * Puts a message in the outbox under its own id, pending (like an HTTP PUT: created or made pending again): its first
 * send, or a send again whether or not its row was sent, parked or cleaned up since. A parked row gets its attempts
 * afresh (its last_error stays, for whoever looks). A row still pending is left as it is: it goes anyway, and its
 * attempts and next_attempt_at are the relay's backoff for it, which a re-put must not undo.
 */
export async function putInOutbox(tx: EntityManager, message: OutgoingMessage): Promise<void> {
  await insertIntoOutbox(
    tx,
    `INSERT INTO outbox (message_id, routing_key, correlation_id, payload, trace_context)
     VALUES ($1, $2, $3, $4, $5) ${PUT_AGAIN}`,
    [
      message.messageId,
      message.routingKey,
      message.correlationId,
      JSON.stringify(message.payload),
      traceOf(message),
    ],
  );
}

/** `putInOutbox` for many messages in one statement (one message id put twice is put once, the last one). */
export async function putAllInOutbox(tx: EntityManager, messages: OutgoingMessage[]): Promise<void> {
  const unique = [...new Map(messages.map((message) => [message.messageId, message])).values()];
  if (unique.length === 0) return;
  await insertIntoOutbox(
    tx,
    `INSERT INTO outbox (message_id, routing_key, correlation_id, payload, trace_context)
     SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::jsonb[], $5::jsonb[])
     ${PUT_AGAIN}`,
    [
      unique.map((message) => message.messageId),
      unique.map((message) => message.routingKey),
      unique.map((message) => message.correlationId),
      unique.map((message) => JSON.stringify(message.payload)),
      unique.map(traceOf),
    ],
  );
}

/**
 * `insert` (an INSERT INTO outbox) on `tx`, notifying the relays in the same statement where they listen, and waking
 * this process's relay once it commits.
 */
async function insertIntoOutbox(tx: EntityManager, insert: string, parameters: unknown[]): Promise<void> {
  await tx.query(notifiesRelays(tx) ? notifyingRelays(insert) : insert, parameters);
  wakeOnCommit(tx);
}

/** Given, or the current one: a re-send belongs to the trace that asked for it (a redelivered order_created, say). */
function traceOf(message: Pick<OutgoingMessage, 'traceContext'>): string | null {
  const trace = message.traceContext ?? currentTraceHeaders();
  return trace ? JSON.stringify(trace) : null;
}
