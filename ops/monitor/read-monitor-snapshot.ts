import { Pool } from 'pg';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { readLedgers, readOutboxBacklog, readQueueDepths, type Queryable } from '../audit/read-snapshot';
import type { MonitorSnapshot, OldestCreated, OrderCounts, SaleStatus } from './monitor-snapshot';
import { SERVICES, type MonitorSettings } from './monitor-settings';
import { readRoomStatus } from './read-room-status';
import { readReadiness } from './service-readiness';

/** A sale is active while it holds stock, or it or one of its reservations changed within this (as in gate retention). */
const ACTIVE_WITHIN_SECONDS = 3600;
/** Longest wait for any one source: a source that hangs is named as a problem, the rest is shown. */
const READ_TIMEOUT_MS = 2000;

/**
 * Reads what the monitor shows, read-only, with the audit's readers where they fit; keeps its connection pool
 * between refreshes (a lost connection is replaced on the next read). `eventIds`: only those, else the active ones.
 */
export class MonitorReader {
  private readonly db: Pool;
  private readonly management: RabbitManagement;

  constructor(
    private readonly settings: MonitorSettings,
    private readonly eventIds: string[] | null = null,
  ) {
    this.db = new Pool({
      connectionString: settings.databaseUrl,
      max: 1,
      connectionTimeoutMillis: READ_TIMEOUT_MS,
      options: `-c default_transaction_read_only=on -c statement_timeout=${READ_TIMEOUT_MS}`,
    });
    this.db.on('error', () => undefined); // an idle connection dropped by the server: the next read opens another
    this.management = new RabbitManagement(settings.rabbitmqManagementUrl);
  }

  async read(): Promise<MonitorSnapshot> {
    const problems = new Map<string, Set<string>>(); // why → what could not be read for that reason
    const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await withDeadline(read(), READ_TIMEOUT_MS);
      } catch (error) {
        const why = messageOf(error);
        problems.set(why, (problems.get(why) ?? new Set()).add(what));
        return undefined;
      }
    };
    const { schemas, serviceUrls, vhost } = this.settings;
    const [queues, services, database] = await Promise.all([
      attempt('rabbitmq management', () => readQueueDepths(this.management, vhost)),
      Promise.all(SERVICES.map((name) => readReadiness(name, serviceUrls[name], READ_TIMEOUT_MS))),
      (async () => {
        const sales = await attempt('inventory ledger', () => this.readSales());
        const orders = await attempt('orders', () => readOrderCounts(this.db, schemas.order, sales ?? []));
        const oldestCreated = await attempt('orders', () => readOldestCreated(this.db, schemas.order));
        const order = await attempt('order outbox', () => readOutboxBacklog(this.db, schemas.order));
        const payment = await attempt('payment outbox', () => readOutboxBacklog(this.db, schemas.payment));
        const rooms = await attempt('waiting rooms', () =>
          readRoomStatus(this.db, schemas.order, serviceUrls.order, this.eventIds, READ_TIMEOUT_MS),
        );
        return { sales, orders, oldestCreated, outbox: { order, payment }, rooms };
      })(),
    ]);
    return {
      at: Date.now(),
      sales: (database.sales ?? []).map((sale) => ({
        ...sale,
        orders: database.orders?.get(sale.eventId) ?? null,
      })),
      oldestCreated: database.oldestCreated,
      rooms: database.rooms,
      queues,
      outbox: withoutUnread(database.outbox),
      services,
      problems: [...problems].map(([why, what]) => `${[...what].join(', ')}: ${why}`),
    };
  }

  close(): Promise<void> {
    return this.db.end();
  }

  private async readSales(): Promise<Array<Omit<SaleStatus, 'orders'>>> {
    const inventory = this.settings.schemas.inventory;
    const ids = this.eventIds ?? (await readActiveEventIds(this.db, inventory));
    const ledgers = await readLedgers(this.db, inventory, ids);
    return ledgers.map(({ eventId, totalStock, ledger }) => ({ eventId, totalStock, stock: ledger }));
  }
}

async function readActiveEventIds(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT s.event_id FROM "${schema}".sales s
     WHERE s.held > 0 OR s.updated_at >= now() - make_interval(secs => $1)
        OR EXISTS (SELECT 1 FROM "${schema}".reservations r
                   WHERE r.event_id = s.event_id AND r.updated_at >= now() - make_interval(secs => $1))`,
    [ACTIVE_WITHIN_SECONDS],
  );
  return rows.map((row) => row.event_id);
}

async function readOrderCounts(
  db: Queryable,
  schema: string,
  sales: Array<{ eventId: string }>,
): Promise<Map<string, OrderCounts>> {
  const counts = new Map<string, OrderCounts>(
    sales.map(({ eventId }) => [
      eventId,
      { accepted: 0, created: 0, confirmed: 0, cancelled: 0, cancelledBy: {} },
    ]),
  );
  if (!sales.length) return counts;
  const { rows } = await db.query(
    `SELECT event_id, status, reason, count(*)::int AS n FROM "${schema}".orders
     WHERE event_id = ANY($1) GROUP BY event_id, status, reason`,
    [[...counts.keys()]],
  );
  for (const { event_id, status, reason, n } of rows) {
    const sale = counts.get(event_id)!;
    sale.accepted += n;
    if (status === 'CREATED') sale.created += n;
    if (status === 'CONFIRMED') sale.confirmed += n;
    if (status === 'CANCELLED') {
      sale.cancelled += n;
      sale.cancelledBy[reason ?? '?'] = (sale.cancelledBy[reason ?? '?'] ?? 0) + n;
    }
  }
  return counts;
}

async function readOldestCreated(db: Queryable, schema: string): Promise<OldestCreated | null> {
  const { rows } = await db.query(
    `SELECT order_id, event_id, extract(epoch FROM now() - created_at)::float8 AS age,
            (SELECT count(*)::int FROM "${schema}".orders WHERE status = 'CREATED') AS count
     FROM "${schema}".orders WHERE status = 'CREATED' ORDER BY created_at LIMIT 1`,
  );
  if (!rows.length) return null;
  const [{ order_id, event_id, age, count }] = rows;
  return { orderId: order_id, eventId: event_id, ageSeconds: age, count };
}

function withoutUnread<T>(parts: Record<string, T | undefined>): Record<string, T> {
  return Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== undefined)) as Record<
    string,
    T
  >;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // 42P01: the service never started against this database and schema, so its tables are missing.
  return (error as { code?: string }).code === '42P01' ? `${message} (never started here?)` : message;
}
