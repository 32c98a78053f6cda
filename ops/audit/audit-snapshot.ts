/** Everything the audit reads, per sale and for the whole system, before it judges anything. */
export interface AuditSnapshot {
  sales: SaleSnapshot[];
  queues: QueueSnapshot[];
  /** Outbox rows not confirmed by the broker yet and still tried by the relay, per service schema. */
  unsentOutbox: Record<string, number>;
  /** Outbox rows the relay parked after repeated refusals, per service schema: never sent unless requeued. */
  parkedOutbox: Record<string, ParkedOutbox>;
  /** When it was read, by the database's clock (the clock of every `cancelledAt`). */
  readAt: Date;
}

export interface ParkedOutbox {
  count: number;
  /** The oldest few. */
  examples: ParkedRow[];
}

export interface ParkedRow {
  messageId: string;
  routingKey: string;
  attempts: number;
  lastError: string | null;
}

export interface StockCounts {
  available: number;
  held: number;
  sold: number;
}

export interface SaleSnapshot {
  eventId: string;
  totalStock: number;
  /** From Postgres: the reservations of the sale. */
  ledger: StockCounts;
  /** From Postgres: the sale's own held and sold counters, which guard against oversell; equal to `ledger`. */
  counters: { held: number; sold: number };
  /** From Redis; null when the sale is not loaded there (Redis is a cache: the next call rebuilds it). */
  gate: StockCounts | null;
  orders: OrderSnapshot[];
}

/** One order of the sale, joined across the three services' schemas. */
export interface OrderSnapshot {
  orderId: string;
  quantity: number;
  status: 'CREATED' | 'CONFIRMED' | 'CANCELLED';
  reason: string | null;
  /** Inventory's reservation of the order, if any. */
  reservation: 'HELD' | 'COMMITTED' | 'RELEASED' | null;
  /** Payment's record of it, if any. */
  payment: 'SUCCEEDED' | 'FAILED' | 'REFUNDED' | null;
  /** What the card processor itself did: successful charges and refunds. */
  charges: number;
  refunds: number;
  /** The saga step the order is in: `PAYMENT`, `COMMIT`, `COMPENSATION` or `DONE`. */
  step: 'PAYMENT' | 'COMMIT' | 'COMPENSATION' | 'DONE';
  /** When it was cancelled, the start of its compensation; null unless CANCELLED. */
  cancelledAt: Date | null;
}

export interface QueueSnapshot {
  name: string;
  /** Ready plus unacknowledged; null while the broker has not published the count yet (just after a restart). */
  messages: number | null;
  /** For a dead-letter queue: its messages by `x-dead-letter-reason` (`none` when the broker moved it). */
  deadLetterReasons?: Record<string, number>;
}
