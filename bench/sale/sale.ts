// `npm run sale -- [--stock 100] [--buyers 1000] [--concurrency 100 | --rate <req/s> [--duration <s>]] [--users n]
// [--quantity 1] [--decline-rate 0..1] [--per-user-limit 0] [--event id] [--json]`: a sale against a running stack,
// live, then its summary and the audit of it. Exit 0: no violation; 1: violations; 2: usage or connection error.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Pool } from 'undici';
import { findViolations, type Violation } from '../../ops/audit/find-violations';
import { readSnapshot } from '../../ops/audit/read-snapshot';
import { driveClosed, driveOpen, newDriveRecord, type Buy, type DriveRecord } from './buyer-drivers';
import { countAnswers } from './latency-record';
import { parseSaleOptions, type SaleOptions } from './sale-options';
import { readSaleOrders, readSaleStack, type SaleOrders, type SaleStack } from './sale-stack';
import { renderProgress, renderSummary, summarize } from './sale-summary';

const WAIT_DEADLINE_MS = 120_000;
/** Violations that only say the saga is still moving, or that the broker has not counted a new queue yet (its
 * statistics come every few seconds); the audit is repeated for this long while they last. */
const SETTLE_MS = 15_000;
const POLL_MS = 250;

class UsageError extends Error {}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createSale(stack: SaleStack, options: SaleOptions): Promise<void> {
  const response = await fetch(`${stack.serviceUrls.inventory}/events/${options.eventId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: JSON.stringify({
      name: `npm run sale ${options.eventId}`,
      totalStock: options.stock,
      unitPrice: 4200,
      currency: 'EUR',
      perUserLimit: options.perUserLimit,
    }),
  }).catch((error: Error) => {
    throw new UsageError(`inventory at ${stack.serviceUrls.inventory} does not answer: ${error.message}`);
  });
  if (response.status !== 200 && response.status !== 201)
    throw new UsageError(
      `PUT /events/${options.eventId} answered ${response.status}: ${await response.text()}`,
    );
}

function buyerOf(pool: Pool, options: SaleOptions): Buy {
  return async (index) => {
    // Spread evenly: buyer i declines when the running share of declines crosses a whole number.
    const declined = Math.floor((index + 1) * options.declineRate) > Math.floor(index * options.declineRate);
    try {
      const response = await pool.request({
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${options.eventId}-${index}` },
        body: JSON.stringify({
          eventId: options.eventId,
          userId: `buyer-${index % options.users}`,
          quantity: options.quantity,
          paymentToken: declined ? 'tok_chargeDeclined' : 'tok_visa',
        }),
      });
      if (response.statusCode !== 202) {
        await response.body.dump();
        return { status: response.statusCode };
      }
      const { orderId } = (await response.body.json()) as { orderId: string };
      return { status: 202, orderId };
    } catch {
      return { status: 0 };
    }
  };
}

/** Redraws one line on a terminal; otherwise a plain line every 2 s. On stderr when stdout carries the JSON. */
function showProgress(record: DriveRecord, options: SaleOptions): () => void {
  const out = options.json ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  let last = { at: performance.now(), answered: 0 };
  let ticks = 0;
  const draw = (final = false) => {
    const now = performance.now();
    const perSecond = ((record.answers.length - last.answered) * 1000) / Math.max(1, now - last.at);
    last = { at: now, answered: record.answers.length };
    const line = renderProgress(countAnswers(record.sent, record.answers), perSecond, options.buyers);
    if (tty) out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else out.write(`${line}\n`);
  };
  const timer = setInterval(() => {
    if (tty || ++ticks % 8 === 0) draw();
  }, POLL_MS);
  return () => {
    clearInterval(timer);
    draw(true);
  };
}

async function waitForOrdersEnded(db: Client, stack: SaleStack, eventId: string, accepted: number) {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  for (;;) {
    const orders = await readSaleOrders(db, stack.schemas.order, eventId);
    const ended = orders.created === 0 && orders.total >= accepted;
    if (ended || Date.now() > deadline) return { orders, deadlineHit: !ended };
    await sleep(POLL_MS);
  }
}

const SETTLING = new Set([
  'SAGA_QUEUE_NOT_EMPTY',
  'SAGA_QUEUE_UNKNOWN',
  'OUTBOX_UNSENT',
  'SOLD_NOT_CONFIRMED',
  'GATE_DIVERGES_FROM_LEDGER',
]);

/** The audit of this sale; repeated for a while as long as what it finds is the saga still finishing. */
async function auditSale(stack: SaleStack, eventId: string): Promise<Violation[]> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const violations = findViolations(await readSnapshot(stack, eventId));
    const settling = violations.length > 0 && violations.every((v) => SETTLING.has(v.code));
    if (!settling || Date.now() > deadline) return violations;
    await sleep(500);
  }
}

async function main(): Promise<number> {
  const parsed = parseSaleOptions(process.argv.slice(2), () => `sale-${randomUUID().slice(0, 8)}`);
  if (!parsed.ok) throw new UsageError(parsed.errors.join('\n'));
  const { options } = parsed;
  let stack: SaleStack;
  try {
    stack = readSaleStack(process.env, process.cwd());
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect().catch((error: Error) => {
    throw new UsageError(`Postgres at ${stack.databaseUrl} does not answer: ${error.message}`);
  });
  const pool = new Pool(stack.serviceUrls.order, {
    connections: options.rate === null ? options.concurrency : 256,
  });
  try {
    await createSale(stack, options);
    const record = newDriveRecord();
    const stopProgress = showProgress(record, options);
    const buy = buyerOf(pool, options);
    if (options.rate === null) await driveClosed(options.buyers, options.concurrency, buy, record);
    else await driveOpen(options.buyers, options.rate, buy, record);
    const driveSeconds = (performance.now() - record.startedAt) / 1000;
    stopProgress();
    if (record.answers.every((answer) => answer.status === 0))
      throw new UsageError(`order at ${stack.serviceUrls.order} does not answer`);
    const accepted = record.acceptedOrderIds.length;
    const { orders, deadlineHit } = await waitForOrdersEnded(db, stack, options.eventId, accepted);
    const summary = summarize({
      options,
      sent: record.sent,
      answers: record.answers,
      driveSeconds,
      orders: { accepted, ...pick(orders) },
      firstRequestToLastEndedSeconds:
        accepted && orders.lastEndedAtEpochMs !== null
          ? (orders.lastEndedAtEpochMs - record.startedAtEpochMs) / 1000
          : null,
      waitDeadlineHit: deadlineHit,
      violations: await auditSale(stack, options.eventId),
    });
    process.stdout.write(`${options.json ? JSON.stringify(summary) : renderSummary(summary)}\n`);
    return summary.violations.length ? 1 : 0;
  } finally {
    await pool.close();
    await db.end();
  }
}

function pick({ confirmed, created, cancelled, cancelledBy }: SaleOrders) {
  return { confirmed, created, cancelled, cancelledBy };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sale failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
