// The bench's yardstick: what a flash sale costs with nothing but node:http, ioredis and pg. The same Lua reserve
// as inventory (read from its file), then one Postgres transaction inserting the order and its outbox row. No
// saga, no validation library, no framework: Boxoffice's figures are divided by this one's, taken in the same run.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';

const env = process.env;
const schema = env.BASELINE_SCHEMA ?? 'bench_baseline';
const prefix = env.BASELINE_REDIS_PREFIX ?? 'bench-baseline';
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
// As many connections as each Boxoffice service has (<SERVICE>_DB_POOL_SIZE).
const db = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.BASELINE_DB_POOL_SIZE ?? 20) });
const reserve = readFileSync(
  join(__dirname, '..', '..', 'services', 'inventory', 'src', 'stock-gate', 'lua', 'reserve.lua'),
  'utf8',
);
redis.defineCommand('reserve', { numberOfKeys: 4, lua: reserve });
const keysOf = (eventId: string) =>
  ['sale', 'reservations', 'users', 'expiries'].map((key) => `${prefix}:{${eventId}}:${key}`);

const answer = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function handle(request: IncomingMessage, body: string, response: ServerResponse) {
  const input = JSON.parse(body || '{}');
  const sale = /^\/events\/([\w-]{1,64})$/.exec(request.url ?? '');
  if (request.method === 'PUT' && sale) {
    const [key] = keysOf(sale[1]);
    const stock = input.totalStock;
    await redis.hset(key, {
      totalStock: stock,
      available: stock,
      held: 0,
      perUserLimit: input.perUserLimit ?? 0,
    });
    return answer(response, 201, { eventId: sale[1], totalStock: stock });
  }
  if (request.method !== 'POST' || request.url !== '/orders')
    return answer(response, 404, { code: 'NOT_FOUND' });
  const { eventId, userId, quantity } = input;
  if (
    typeof eventId !== 'string' ||
    typeof userId !== 'string' ||
    !Number.isInteger(quantity) ||
    quantity < 1
  )
    return answer(response, 400, { code: 'VALIDATION_FAILED' });
  const orderId = randomUUID();
  const [outcome] = await (
    redis as unknown as Record<string, (...a: unknown[]) => Promise<string[]>>
  ).reserve(...keysOf(eventId), orderId, userId, quantity, 900_000);
  if (outcome !== 'HELD') return answer(response, outcome === 'NOT_LOADED' ? 404 : 409, { code: outcome });
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "${schema}".orders (id, event_id, user_id, quantity) VALUES ($1, $2, $3, $4)`,
      [orderId, eventId, userId, quantity],
    );
    await client.query(`INSERT INTO "${schema}".outbox (payload) VALUES ($1)`, [
      JSON.stringify({ orderId, eventId }),
    ]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  answer(response, 202, { orderId, status: 'CREATED' });
}

async function main() {
  await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await db.query(`CREATE TABLE IF NOT EXISTS "${schema}".orders (id uuid PRIMARY KEY, event_id text NOT NULL,
    user_id text NOT NULL, quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS "${schema}".outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL)`,
  );
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      handle(request, body, response).catch((error) =>
        error instanceof SyntaxError
          ? answer(response, 400, { code: 'VALIDATION_FAILED' })
          : answer(response, 503, { code: 'UNAVAILABLE' }),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(env.BASELINE_PORT ?? 3900), '127.0.0.1', () => console.log('baseline listening'));
}

void main();
