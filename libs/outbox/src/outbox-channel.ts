/**
 * The channel on which a commit that added outbox rows wakes the relays of that outbox: one per schema, since
 * several services may share a database. Written as SQL where the rows are added (the transaction's own schema)
 * and in code where relays listen: the two must agree (a schema name is a lower-case identifier of at most 63
 * characters, and so is a channel's).
 */
export const OUTBOX_CHANNEL_SQL = `left('outbox_' || current_schema(), 63)`;

export function outboxChannel(schema: string): string {
  return `outbox_${schema}`.slice(0, 63);
}

/**
 * `insert` (an INSERT INTO outbox without RETURNING) that also notifies the outbox's channel when it added or
 * revived a row, in the same statement: no round trip of its own. Postgres delivers the notification only when the
 * transaction commits, once however many rows it added.
 */
export function notifyingRelays(insert: string): string {
  return `WITH added AS (${insert} RETURNING 1)
    SELECT pg_notify(${OUTBOX_CHANNEL_SQL}, '') WHERE EXISTS (SELECT FROM added)`;
}
