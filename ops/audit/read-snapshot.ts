import Redis from 'ioredis';
import type { Client } from 'pg';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { DEAD_LETTER_REASON_HEADER } from '@boxoffice/messaging/message-headers';
// The audit reads each service's own records, not its answers: inventory publishes where it keeps a sale in Redis.
import { saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import type {
  AuditSnapshot,
  OrderSnapshot,
  ParkedOutbox,
  QueueSnapshot,
  SaleSnapshot,
  StockCounts,
} from './audit-snapshot';
import type { Progress } from './audit-progress';
import { openAuditSession } from './audit-session';
import { AUDIT_LIMITS, type AuditSettings } from './audit-settings';
import { isSagaQueue } from './saga-queue';

const DEAD_LETTER_PEEK_LIMIT = 1000;

/** A client or a pool: the readers below run one query at a time. */
export type Queryable = Pick<Client, 'query'>;
const PARKED_EXAMPLES = 5;

/** How the audit reads; the defaults suit the chaos runner, the bench and the tests. */
export interface ReadOptions {
  statementTimeoutSeconds?: number;
  progress?: Progress;
}

/** Reads Postgres, Redis and the RabbitMQ management API; writes nothing. `eventId` narrows it to one sale. */
export async function readSnapshot(
  settings: AuditSettings,
  eventId?: string,
  {
    statementTimeoutSeconds = AUDIT_LIMITS.statementTimeoutSeconds,
    progress = () => undefined,
  }: ReadOptions = {},
): Promise<AuditSnapshot> {
  progress('connecting');
  const db = await openAuditSession(settings.databaseUrl, statementTimeoutSeconds);
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    // The reads below see one moment of the three schemas, as a single query would.
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await db.query('SELECT now() AS read_at');
    const sales = await readSales(db, redis, settings, eventId, progress);
    progress('outboxes');
    const unsentOutbox: Record<string, number> = {};
    const parkedOutbox: Record<string, ParkedOutbox> = {};
    for (const schema of [settings.schemas.order, settings.schemas.payment]) {
      [unsentOutbox[schema], parkedOutbox[schema]] = await readOutbox(db, schema);
    }
    await db.query('COMMIT');
    progress('queues');
    const queues = await readQueues(new RabbitManagement(settings.rabbitmqManagementUrl), settings.vhost);
    return { sales, queues, unsentOutbox, parkedOutbox, readAt: rows[0].read_at };
  } finally {
    await db.end();
    redis.disconnect();
  }
}

/**
 * Each table is read once for the whole sale, joined on its keys (orders_event, the reservations' and payments'
 * order ids, gateway_calls_order): the time grows with the sale, not with the square of it.
 */
async function readSales(
  db: Client,
  redis: Redis,
  settings: AuditSettings,
  eventId: string | undefined,
  progress: Progress,
): Promise<SaleSnapshot[]> {
  const { inventory, order, payment } = settings.schemas;
  progress('the ledger');
  const sales = await readLedgers(db, inventory, eventId === undefined ? null : [eventId]);
  progress('orders, reservations and payments');
  const { rows: orders } = await db.query(
    `SELECT o.order_id, o.event_id, o.quantity, o.status, o.reason, o.step, o.cancelled_at,
            r.status AS reservation, p.status AS payment
     FROM "${order}".orders o
     LEFT JOIN "${inventory}".reservations r ON r.order_id = o.order_id
     LEFT JOIN "${payment}".payments p ON p.order_id = o.order_id
     WHERE $1::text IS NULL OR o.event_id = $1
     ORDER BY o.created_at, o.order_id`,
    [eventId ?? null],
  );
  progress("the processor's charges and refunds");
  const calls = await readProcessorCalls(db, settings.schemas, eventId);
  const ordersOf = new Map<string, OrderSnapshot[]>();
  for (const row of orders) {
    const list = ordersOf.get(row.event_id) ?? [];
    const { charges, refunds } = calls.get(row.order_id) ?? NO_CALLS;
    list.push({
      orderId: row.order_id,
      quantity: row.quantity,
      status: row.status,
      reason: row.reason,
      reservation: row.reservation,
      payment: row.payment,
      charges,
      refunds,
      step: row.step,
      cancelledAt: row.cancelled_at,
    });
    ordersOf.set(row.event_id, list);
  }
  progress('the gates in Redis');
  return Promise.all(
    sales.map(async (sale): Promise<SaleSnapshot> => ({
      ...sale,
      gate: await readGate(redis, settings.redisPrefix, sale.eventId),
      orders: ordersOf.get(sale.eventId) ?? [],
    })),
  );
}

const NO_CALLS = { charges: 0, refunds: 0 };

/**
 * What the processor itself did for each order, successful calls only, counted by the call's `kind`. Payment's keys
 * are `charge:<orderId>` and `refund:<orderId>` (docs/contract.md §4): a call counts for the order whose id is its
 * key's second `:`-separated field, whatever the first (a second charge under `retry:<orderId>`, say, is the double
 * charge the audit looks for). A key in another format (the order id elsewhere in it) is not seen.
 */
async function readProcessorCalls(
  db: Client,
  schemas: AuditSettings['schemas'],
  eventId: string | undefined,
): Promise<Map<string, { charges: number; refunds: number }>> {
  const { rows } = await db.query(
    `SELECT o.order_id,
            count(*) FILTER (WHERE g.kind = 'charge')::int AS charges,
            count(*) FILTER (WHERE g.kind = 'refund')::int AS refunds
     FROM "${schemas.order}".orders o
     JOIN "${schemas.payment}".gateway_calls g ON split_part(g.idempotency_key, ':', 2) = o.order_id AND g.succeeded
     WHERE $1::text IS NULL OR o.event_id = $1
     GROUP BY o.order_id`,
    [eventId ?? null],
  );
  return new Map(rows.map((row) => [row.order_id, { charges: row.charges, refunds: row.refunds }]));
}

export type SaleLedger = Pick<SaleSnapshot, 'eventId' | 'totalStock' | 'ledger' | 'counters'>;

/** Each sale's stock as its reservations and its own counters record it; `eventIds` null: every sale. */
export async function readLedgers(
  db: Queryable,
  inventorySchema: string,
  eventIds: string[] | null,
): Promise<SaleLedger[]> {
  const { rows } = await db.query(
    `SELECT s.event_id, s.total_stock, s.held AS counted_held, s.sold AS counted_sold,
            coalesce(sum(r.quantity) FILTER (WHERE r.status = 'HELD'), 0)::int AS held,
            coalesce(sum(r.quantity) FILTER (WHERE r.status = 'COMMITTED'), 0)::int AS sold
     FROM "${inventorySchema}".sales s LEFT JOIN "${inventorySchema}".reservations r ON r.event_id = s.event_id
     WHERE $1::text[] IS NULL OR s.event_id = ANY($1)
     GROUP BY s.event_id, s.total_stock, s.held, s.sold ORDER BY s.event_id`,
    [eventIds],
  );
  return rows.map((sale) => ({
    eventId: sale.event_id,
    totalStock: sale.total_stock,
    ledger: { available: sale.total_stock - sale.held - sale.sold, held: sale.held, sold: sale.sold },
    counters: { held: sale.counted_held, sold: sale.counted_sold },
  }));
}

export interface OutboxBacklog {
  /** Rows the relay still tries. */
  unsent: number;
  /** Seconds since the oldest of them was written (the database's clock); null when none is waiting. */
  oldestUnsentSeconds: number | null;
  /** Rows the relay parked (libs/outbox: refused OUTBOX_MAX_ATTEMPTS times). */
  parked: number;
}

export async function readOutboxBacklog(db: Queryable, schema: string): Promise<OutboxBacklog> {
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE parked_at IS NULL)::int AS unsent,
            count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL))::float8 AS oldest
     FROM "${schema}".outbox WHERE sent_at IS NULL`,
  );
  const [{ unsent, parked, oldest }] = rows;
  return { unsent, parked, oldestUnsentSeconds: oldest };
}

/** Rows the relay still tries, and the rows it parked, with the oldest few parked. */
async function readOutbox(db: Client, schema: string): Promise<[number, ParkedOutbox]> {
  const { unsent, parked } = await readOutboxBacklog(db, schema);
  if (!parked) return [unsent, { count: 0, examples: [] }];
  const { rows: examples } = await db.query(
    `SELECT message_id, routing_key, attempts, last_error FROM "${schema}".outbox
     WHERE sent_at IS NULL AND parked_at IS NOT NULL ORDER BY id LIMIT $1`,
    [PARKED_EXAMPLES],
  );
  return [
    unsent,
    {
      count: parked,
      examples: examples.map((row) => ({
        messageId: row.message_id,
        routingKey: row.routing_key,
        attempts: row.attempts,
        lastError: row.last_error,
      })),
    },
  ];
}

async function readGate(redis: Redis, prefix: string, eventId: string): Promise<StockCounts | null> {
  const [total, available, held, sold] = await redis.hmget(
    saleKeys(prefix, eventId).sale,
    'totalStock',
    'available',
    'held',
    'sold',
  );
  if (total === null) return null;
  return { available: Number(available), held: Number(held), sold: Number(sold) };
}

/** A saga queue's depth; each count null while the broker has not published it yet (just after a restart). */
export interface QueueDepth {
  name: string;
  messages: number | null;
  ready: number | null;
  unacked: number | null;
}

/** The saga queues of the vhost (consumer queues, retry tiers, DLQs) by name, as the management API counts them. */
export async function readQueueDepths(management: RabbitManagement, vhost: string): Promise<QueueDepth[]> {
  const all =
    (await management.request<
      Array<{ name: string; messages?: number; messages_ready?: number; messages_unacknowledged?: number }>
    >(
      'GET',
      `/queues/${encodeURIComponent(vhost)}?columns=name,messages,messages_ready,messages_unacknowledged`,
    )) ?? [];
  return all
    .filter((queue) => isSagaQueue(queue.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((queue) => ({
      name: queue.name,
      messages: queue.messages ?? null,
      ready: queue.messages_ready ?? null,
      unacked: queue.messages_unacknowledged ?? null,
    }));
}

async function readQueues(management: RabbitManagement, vhost: string): Promise<QueueSnapshot[]> {
  return Promise.all(
    (await readQueueDepths(management, vhost)).map(async ({ name, messages }): Promise<QueueSnapshot> => {
      if (!name.endsWith('.dlq')) return { name, messages };
      return { name, messages, deadLetterReasons: await peekReasons(management, vhost, name, messages) };
    }),
  );
}

/** Counts a DLQ's messages by reason, looking at them without taking them (they are requeued). */
async function peekReasons(
  management: RabbitManagement,
  vhost: string,
  queue: string,
  messages: number | null,
): Promise<Record<string, number>> {
  const reasons: Record<string, number> = {};
  if (messages === 0) return reasons;
  const peeked =
    (await management.request<Array<{ properties?: { headers?: Record<string, unknown> } }>>(
      'POST',
      `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}/get`,
      {
        count: Math.min(messages ?? DEAD_LETTER_PEEK_LIMIT, DEAD_LETTER_PEEK_LIMIT),
        ackmode: 'ack_requeue_true',
        encoding: 'auto',
        truncate: 256,
      },
    )) ?? [];
  for (const message of peeked) {
    const reason = String(message.properties?.headers?.[DEAD_LETTER_REASON_HEADER] ?? 'none');
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return reasons;
}
