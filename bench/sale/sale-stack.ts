import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readMonitorSettings, type MonitorSettings } from '../../ops/monitor/monitor-settings';

/** Where the stack answers and keeps its records (the monitor's settings) and the operator's token. */
export interface SaleStack extends MonitorSettings {
  adminToken: string;
}

/** ADMIN_TOKEN from the environment, else from the file npm start writes; a usage error names both when missing. */
export function readSaleStack(environment: NodeJS.ProcessEnv, root: string): SaleStack {
  const { ADMIN_TOKEN, ...rest } = environment;
  const settings = readMonitorSettings(rest);
  const file = join(root, '.boxoffice', 'tokens.env');
  const fromFile = existsSync(file) ? /ADMIN_TOKEN=(\S+)/.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
  const adminToken = ADMIN_TOKEN || fromFile;
  if (!adminToken)
    throw new Error(`no admin token: set ADMIN_TOKEN, or run npm start, which writes it to ${file}`);
  return { ...settings, adminToken };
}

export interface SaleOrders {
  total: number;
  created: number;
  confirmed: number;
  cancelled: number;
  cancelledBy: Record<string, number>;
  /** Date.now() scale: when the last order of the sale ended (the database's clock); null when none has. */
  lastEndedAtEpochMs: number | null;
  /** The same for the last order CONFIRMED: the sale's sell-out, when it sold out. */
  lastConfirmedAtEpochMs: number | null;
}

/** The sale's orders by status, from the order service's own table (read-only). */
export async function readSaleOrders(db: Client, orderSchema: string, eventId: string): Promise<SaleOrders> {
  const { rows } = await db.query(
    `SELECT status, reason, count(*)::int AS count,
            (extract(epoch FROM max(updated_at)) * 1000)::float8 AS last_at
     FROM "${orderSchema}".orders WHERE event_id = $1 GROUP BY status, reason`,
    [eventId],
  );
  const orders: SaleOrders = {
    total: 0,
    created: 0,
    confirmed: 0,
    cancelled: 0,
    cancelledBy: {},
    lastEndedAtEpochMs: null,
    lastConfirmedAtEpochMs: null,
  };
  for (const row of rows) {
    orders.total += row.count;
    if (row.status === 'CREATED') orders.created += row.count;
    else {
      if (row.status === 'CONFIRMED') {
        orders.confirmed += row.count;
        orders.lastConfirmedAtEpochMs = Math.max(orders.lastConfirmedAtEpochMs ?? 0, row.last_at);
      } else {
        orders.cancelled += row.count;
        orders.cancelledBy[row.reason ?? '?'] = (orders.cancelledBy[row.reason ?? '?'] ?? 0) + row.count;
      }
      orders.lastEndedAtEpochMs = Math.max(orders.lastEndedAtEpochMs ?? 0, row.last_at);
    }
  }
  return orders;
}
