// `npm run bench:observability`: what logs, metrics and tracing cost on the sold-out storm. One stack per variant
// runs side by side (npm start each, own namespace): `off` (all three off), `all` (all three on) and, when asked
// with VARIANTS=off,logs,metrics,tracing,all, each on alone. They take the same storm in turns, after a warm-up,
// so that all see the same machine. Prints each round and each variant's median as a ratio to `off`.
import { createServer, type Server } from 'node:http';
import { Pool } from 'undici';
import { startStack, type BoxofficeStack } from '../system/boxoffice-stack';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 100);
const STOCK = 100;
const ADMIN_TOKEN = 'bench-admin-token';
const SERVICE_TOKEN = 'bench-service-token';
const ADMISSION_TOKEN_SECRET = 'bench-admission-token-secret-0123456789';

interface Round {
  stack: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
}

/** A stand-in OTLP/HTTP receiver: accepts every export, counts the bytes, so that spans really leave the process. */
async function startTraceSink(): Promise<{ server: Server; url: string; bytes: () => number }> {
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, bytes: () => bytes };
}

/** One sold-out storm: a new sale of STOCK tickets, REQUESTS buyers over CONCURRENCY keep-alive connections. */
async function storm(stack: BoxofficeStack, orderUrl: string, label: string, eventId: string) {
  const sale = await stack.call(
    'inventory',
    'PUT',
    `/events/${eventId}`,
    { name: eventId, totalStock: STOCK, unitPrice: 4200, currency: 'EUR', perUserLimit: 100 },
    { authorization: `Bearer ${ADMIN_TOKEN}` },
  );
  if (sale.status !== 201)
    throw new Error(`PUT /events/${eventId}: ${sale.status} ${JSON.stringify(sale.body)}`);
  const pool = new Pool(orderUrl, { connections: CONCURRENCY, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const buyer = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const sent = performance.now();
      const response = await pool.request({
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ eventId, userId: `u${i % 5000}`, quantity: 1 }),
      });
      await response.body.dump();
      latencies.push(performance.now() - sent);
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, buyer));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { stack: label, requestsPerSecond: REQUESTS / seconds, p50Ms: at(0.5), p99Ms: at(0.99), statuses };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Each variant is one stack; `off` is the baseline every other one is divided by. */
function variants(traceSink: string): Record<string, Record<string, string>> {
  const off = { LOG_LEVEL: 'silent', METRICS_ENABLED: 'false' };
  const all = {
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    METRICS_ENABLED: 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: traceSink,
  };
  const chosen = (process.env.VARIANTS ?? 'off,all').split(',');
  const known: Record<string, Record<string, string>> = {
    off,
    all,
    logs: { ...off, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    metrics: { ...off, METRICS_ENABLED: 'true' },
    tracing: { ...off, OTEL_EXPORTER_OTLP_ENDPOINT: traceSink },
  };
  return Object.fromEntries(chosen.map((name) => [name, known[name]]));
}

async function main() {
  const sink = await startTraceSink();
  const tokens = { ADMIN_TOKEN, SERVICE_TOKEN, ADMISSION_TOKEN_SECRET };
  const stacks: Record<string, BoxofficeStack> = {};
  try {
    for (const [name, settings] of Object.entries(variants(sink.url))) {
      stacks[name] = await startStack(`obs${name}`, { ...tokens, ...settings });
    }
    const names = Object.keys(stacks);
    // Prometheus's part: stacks with metrics on are scraped every 5 s, as a tight scrape interval would.
    const scrape = setInterval(() => {
      for (const name of names.filter((n) => n === 'all' || n === 'metrics'))
        for (const service of ['order', 'inventory', 'payment'] as const)
          void stacks[name].call(service, 'GET', '/metrics').catch(() => undefined);
    }, 5000);
    try {
      for (const name of names) {
        const warm = await storm(stacks[name], stacks[name].urlOf('order'), name, `warm-${name}`);
        console.log(`warm-up ${name}: ${warm.requestsPerSecond.toFixed(0)} req/s`);
      }
      const rounds: Round[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // A different one goes first each round, so that none always meets the machine just after another.
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const name of order) {
          const result = await storm(
            stacks[name],
            stacks[name].urlOf('order'),
            name,
            `storm-${name}-${round}`,
          );
          rounds.push(result);
          console.log(
            `round ${round + 1} ${name.padEnd(8)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
              `p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  ${JSON.stringify(result.statuses)}`,
          );
        }
      }
      const of = (name: string) => rounds.filter((r) => r.stack === name);
      const base = median(of('off').map((r) => r.requestsPerSecond));
      console.log(`\nvariant   median req/s (min-max)   ratio to off   median p99`);
      for (const name of names) {
        const rps = of(name).map((r) => r.requestsPerSecond);
        console.log(
          `${name.padEnd(9)} ${median(rps).toFixed(0).padStart(6)} (${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)})` +
            `${(median(rps) / base).toFixed(2).padStart(15)}   ${median(of(name).map((r) => r.p99Ms)).toFixed(0)} ms`,
        );
      }
      console.log(`trace bytes exported: ${sink.bytes()}`);
    } finally {
      clearInterval(scrape);
    }
  } finally {
    await Promise.all(Object.values(stacks).map((stack) => stack.stop()));
    sink.server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
