// Issue 22: what one POST /reservations/batch of 100 costs against 100 POST /reservations, on the real Postgres and
// Redis, inventory in this process (so that its Redis commands and SQL statements can be counted). Not a timed test:
// figures for the bench README. Run: node -r @swc-node/register bench/inventory-batch.ts
import { Pool } from 'undici';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { putSale } from '@boxoffice/testing/sale-stock';
import { TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { startInventory } from '../services/inventory/src/inventory.test-app';

const ITEMS = 100;
const ROUNDS = 10;

async function main() {
  const inventory = await startInventory(
    'batch_bench',
    { HOLD_SWEEP_INTERVAL_MS: '600000', HTTP_BODY_LIMIT_BYTES: '65536' },
    { listen: true },
  );
  const pool = new Pool(inventory.url!, { connections: ITEMS });
  const counts = { redis: 0, redisTicks: 0, sql: 0 };
  let tickOpen = false;
  const send = inventory.redis.sendCommand.bind(inventory.redis);
  inventory.redis.sendCommand = (...args) => {
    counts.redis++;
    if (!tickOpen) {
      // Commands issued in one tick leave in one write: one round trip.
      tickOpen = true;
      counts.redisTicks++;
      setImmediate(() => (tickOpen = false));
    }
    return send(...args);
  };
  const query = PostgresQueryRunner.prototype.query;
  PostgresQueryRunner.prototype.query = function (
    this: PostgresQueryRunner,
    ...args: Parameters<typeof query>
  ) {
    counts.sql++;
    return query.apply(this, args);
  } as typeof query;
  const post = async (path: string, body: unknown) => {
    const answer = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKENS.SERVICE_TOKEN}` },
      body: JSON.stringify(body),
    });
    const text = await answer.body.text();
    if (answer.statusCode >= 300) throw new Error(`${path}: ${answer.statusCode} ${text}`);
    return text;
  };
  const item = (id: string) => ({ orderId: id, eventId: 'bench', userId: id, quantity: 1 });
  await putSale(inventory, 'bench', { totalStock: 10_000_000 });
  await post('/reservations', item('warm-up')); // the scripts loaded, the sale in Redis

  const ways = {
    'single, one after another': (r: number) =>
      sequentially(ITEMS, (i) => post('/reservations', item(`s-${r}-${i}`))),
    'single, 100 at once': (r: number) =>
      Promise.all(Array.from({ length: ITEMS }, (_, i) => post('/reservations', item(`c-${r}-${i}`)))),
    'one batch of 100': (r: number) =>
      post('/reservations/batch', {
        version: 1,
        items: Array.from({ length: ITEMS }, (_, i) => item(`b-${r}-${i}`)),
      }),
    'commit, one after another': (r: number) =>
      sequentially(ITEMS, (i) => post(`/reservations/s-${r}-${i}/commit`, {})),
    'commit, 100 at once': (r: number) =>
      Promise.all(Array.from({ length: ITEMS }, (_, i) => post(`/reservations/c-${r}-${i}/commit`, {}))),
    'commit, one batch of 100': (r: number) =>
      post('/reservations/commits', {
        version: 1,
        orderIds: Array.from({ length: ITEMS }, (_, i) => `b-${r}-${i}`),
      }),
  };
  for (const [name, run] of Object.entries(ways)) {
    await run(-1); // warm
    const before = { ...counts };
    const started = process.hrtime.bigint();
    for (let r = 0; r < ROUNDS; r++) await run(r);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const per = (key: keyof typeof counts) => ((counts[key] - before[key]) / ROUNDS).toFixed(1);
    console.log(
      `${name.padEnd(26)} ${Math.round((ROUNDS * ITEMS) / seconds)} items/s; per 100 items: ` +
        `${per('redis')} Redis commands in ${per('redisTicks')} writes, ${per('sql')} SQL statements`,
    );
  }
  await pool.close();
  await inventory.close();
}

async function sequentially(n: number, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < n; i++) await call(i);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
