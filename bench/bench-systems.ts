import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Pool } from 'undici';
import { eventually } from '@boxoffice/testing/eventually';
import { freePort } from '@boxoffice/testing/free-port';
import { operatorEnv } from '@boxoffice/testing/operator-env';
import type { TestCorner } from '@boxoffice/testing/test-corner';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@boxoffice/testing/test-namespace';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import { startStack } from '../system/boxoffice-stack';
import type { CostProbe, CostSnapshot } from './bench-cost';
import { servicePids } from './process-memory';
import { auditAt, auditHere, auditSale, waitForOrdersEnded } from './sale/sale-ending';
import { openRoom, roomBuyerOf, type RoomRecord } from './sale/room-buyer';
import { buyerOf, createSale, type Order } from './sale/sale-requests';
import { readSaleStack, type SaleOrders } from './sale/sale-stack';
import type { Buy } from './sale/buyer-drivers';

/** What the bench drives: Boxoffice as `npm start` runs it, or the hand-written baseline. */
export interface BenchSystem {
  /** 'Boxoffice', 'baseline', or 'Boxoffice@<commit>' for another commit's build. */
  name: string;
  createSale(eventId: string, stock: number): Promise<void>;
  /** POST /orders for buyer `index` of the sale, over keep-alive connections of the system's own pool; `keys`:
   * each with an Idempotency-Key of its own (the default), or none. */
  buyer(eventId: string, keys?: boolean): Order;
  /** What must hold once the sale's orders ended: each code is a violation (nothing oversold, the books agree). */
  violations(eventId: string, stock: number, accepted: number): Promise<string[]>;
  /** Its processes by name, for their peak RSS. */
  pids(): Record<string, number>;
  /** false once one of its processes died. */
  alive(): boolean;
  /** What each of its processes asked of others and its CPU so far (bench/cost-counters.cjs), when measured. */
  cost?(): Promise<CostSnapshot>;
  /** Boxoffice only: the saga's side of a sale. */
  saga?: Saga;
  /** Boxoffice only: the sale's waiting room. */
  room?: Room;
}

export interface Room {
  /** The room on, admitting `admitPerSecond` ("auto" passed as it is). */
  open(eventId: string, admitPerSecond: number | 'auto'): Promise<void>;
  /** Buyer `index` through the room: enters, polls, then `order`s with its admission; what it went through in
   * `record`. */
  enter(eventId: string, order: Order, record: RoomRecord): Buy;
}

export interface Saga {
  waitEnded(eventId: string, accepted: number): Promise<{ orders: SaleOrders; deadlineHit: boolean }>;
  /** Orders of the sale CONFIRMED at or before `epochMs` (the database's clock, the same machine's). */
  confirmedBy(eventId: string, epochMs: number): Promise<number>;
  /** Orders of the sale not ended yet. */
  unended(eventId: string): Promise<number>;
  /** When each CONFIRMED order of the sale was confirmed, epoch ms by order id. */
  confirmedAt(eventId: string): Promise<Map<string, number>>;
  /** Orders of the sale CREATED SAGA_BACKLOG_AFTER_SECONDS ago or more and still open: the saga behind. */
  lateBacklog(eventId: string): Promise<number>;
}

/** ORDER_SAGA_BACKLOG_AFTER_SECONDS as npm start runs order (its default): older CREATED orders are the saga behind. */
const SAGA_BACKLOG_AFTER_SECONDS = 2;

const CONNECTIONS = 256;
const buyerOptions = (eventId: string, keys = true) => ({
  eventId,
  users: 1_000_000_000,
  quantity: 1,
  declineRate: 0,
  keys,
});

/** Boxoffice: scripts/start.mjs with its defaults (logs, metrics on), in the bench's corner of the servers. */
export async function startBoxoffice(
  label: string,
  {
    profileDir = null,
    at,
    poolSize,
    probe,
  }: {
    profileDir?: string | null;
    at?: { root: string; commit: string };
    poolSize?: number;
    probe?: CostProbe;
  },
): Promise<BenchSystem & { corner: TestCorner }> {
  const pools = poolSize
    ? Object.fromEntries(
        ['INVENTORY', 'ORDER', 'PAYMENT'].map((service) => [`${service}_DB_POOL_SIZE`, String(poolSize)]),
      )
    : {};
  const nodeArgs = [
    ...(probe?.nodeArgs ?? []),
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : []),
  ];
  const stack = await startStack(
    label,
    { ...pools, ...probe?.env, ...(nodeArgs.length && { START_NODE_ARGS: nodeArgs.join(' ') }) },
    at?.root,
  );
  const stackEnv = operatorEnv(stack.corner, {
    inventory: stack.urlOf('inventory'),
    order: stack.urlOf('order'),
    payment: stack.urlOf('payment'),
  });
  const sale = readSaleStack(stackEnv, process.cwd());
  const orderSchema = stack.schemaOf('order');
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  stack.corner.defer(() => db.end());
  const pool = new Pool(stack.urlOf('order'), { connections: CONNECTIONS });
  stack.corner.defer(() => pool.close());
  // Another commit's stack is audited by its own audit: the schema it migrated to may not be ours.
  const audit = at ? auditAt(at.root, stackEnv) : auditHere(sale);
  const count = async (sql: string, parameters: unknown[]) =>
    ((await db.query(sql, parameters)).rows[0] as { count: number }).count;
  return {
    name: at ? `Boxoffice@${at.commit}` : 'Boxoffice',
    corner: stack.corner,
    createSale: (eventId, stock) => createSale(sale, { eventId, stock, perUserLimit: 0 }),
    buyer: (eventId, keys) => buyerOf(pool, buyerOptions(eventId, keys)),
    violations: async (eventId, stock, accepted) => {
      const { orders, deadlineHit } = await waitForOrdersEnded(db, sale, eventId, accepted);
      const codes: string[] = (await auditSale(sale, eventId, audit)).map((violation) => violation.code);
      if (deadlineHit) codes.push(`ORDERS_NOT_ENDED (${orders.created} still CREATED after 2 minutes)`);
      if (orders.confirmed > stock) codes.push(`OVERSOLD (${orders.confirmed} confirmed of ${stock})`);
      return codes;
    },
    pids: () => servicePids(stack.pid),
    alive: () => stack.running(),
    ...(probe && { cost: () => probe.snapshot(servicePids(stack.pid)) }),
    saga: {
      waitEnded: (eventId, accepted) => waitForOrdersEnded(db, sale, eventId, accepted),
      confirmedBy: (eventId, epochMs) =>
        count(
          `SELECT count(*)::int AS count FROM "${orderSchema}".orders
           WHERE event_id = $1 AND status = 'CONFIRMED' AND updated_at <= to_timestamp($2 / 1000.0)`,
          [eventId, epochMs],
        ),
      unended: (eventId) =>
        count(
          `SELECT count(*)::int AS count FROM "${orderSchema}".orders WHERE event_id = $1 AND status = 'CREATED'`,
          [eventId],
        ),
      confirmedAt: async (eventId) => {
        const { rows } = await db.query(
          `SELECT order_id, (extract(epoch FROM updated_at) * 1000)::float8 AS at FROM "${orderSchema}".orders
           WHERE event_id = $1 AND status = 'CONFIRMED'`,
          [eventId],
        );
        return new Map(rows.map((row: { order_id: string; at: number }) => [row.order_id, row.at]));
      },
      lateBacklog: (eventId) =>
        count(
          `SELECT count(*)::int AS count FROM "${orderSchema}".orders WHERE event_id = $1 AND status = 'CREATED'
           AND created_at <= now() - make_interval(secs => $2)`,
          [eventId, SAGA_BACKLOG_AFTER_SECONDS],
        ),
    },
    room: {
      open: (eventId, admitPerSecond) => openRoom(sale, eventId, { admitPerSecond, preQueueSeconds: null }),
      enter: (eventId, order, record) => roomBuyerOf(pool, buyerOptions(eventId), order, record),
    },
  };
}

/** The baseline (bench/baseline/baseline-server.ts) as a process of its own, in the same corner. */
export async function startBaseline(
  corner: TestCorner,
  poolSize = 20,
  probe?: CostProbe,
): Promise<BenchSystem> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const schema = corner.schemaOf('baseline');
  const prefix = `${corner.namespace.redisPrefix}:baseline`;
  const server = spawnWatched(
    [
      ...(probe?.nodeArgs ?? []),
      '-r',
      require.resolve('@swc-node/register'),
      join(__dirname, 'baseline', 'baseline-server.ts'),
    ],
    {
      ...process.env,
      ...probe?.env,
      SWC_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json'),
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      BASELINE_PORT: String(port),
      BASELINE_SCHEMA: schema,
      BASELINE_REDIS_PREFIX: prefix,
      BASELINE_DB_POOL_SIZE: String(poolSize),
    },
  );
  corner.defer(() => server.stop('SIGTERM', 5_000));
  await eventually(() => server.exit() ?? server.output().includes('baseline listening'), {
    timeoutMs: 30_000,
    what: 'the baseline listening',
  });
  if (server.exit()) throw new Error(`the baseline exited:\n${server.output()}`);
  const pool = new Pool(url, { connections: CONNECTIONS });
  corner.defer(() => pool.close());
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  corner.defer(() => db.end());
  const redis = new Redis(TEST_REDIS_URL);
  corner.defer(() => redis.quit());
  const stack = { serviceUrls: { inventory: url }, adminToken: 'none' };
  return {
    name: 'baseline',
    createSale: (eventId, stock) => createSale(stack, { eventId, stock, perUserLimit: 0 }),
    buyer: (eventId, keys) => buyerOf(pool, buyerOptions(eventId, keys)),
    violations: async (eventId, stock, accepted) => {
      const { rows } = await db.query(
        `SELECT count(*)::int AS orders, (SELECT count(*)::int FROM "${schema}".outbox
           WHERE payload->>'eventId' = $1) AS outbox FROM "${schema}".orders WHERE event_id = $1`,
        [eventId],
      );
      const available = Number(await redis.hget(`${prefix}:{${eventId}}:sale`, 'available'));
      const { orders, outbox } = rows[0] as { orders: number; outbox: number };
      const codes: string[] = [];
      if (orders > stock) codes.push(`OVERSOLD (${orders} orders of ${stock})`);
      if (orders !== accepted || outbox !== accepted)
        codes.push(`ACCEPTED_NOT_KEPT (${accepted} answered 202, ${orders} orders, ${outbox} outbox rows)`);
      if (available !== stock - orders)
        codes.push(`STOCK_DRIFT (${available} available, ${stock - orders} due)`);
      return codes;
    },
    pids: () => ({ baseline: server.child.pid! }),
    alive: () => !server.exit(),
    ...(probe && { cost: () => probe.snapshot({ baseline: server.child.pid! }) }),
  };
}
