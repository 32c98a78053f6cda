// `npm run sale -- [--stock 100] [--buyers 1000] [--concurrency 100 | --rate <req/s> [--duration <s>]] [--users n]
// [--quantity 1] [--decline-rate 0..1] [--per-user-limit 0] [--event id] [--json]
// [--waiting-room [--admit-per-second n|auto] [--pre-queue-seconds s]]`: a sale against a running stack, live, then
// its summary and the audit of it. Exit 0: no violation; 1: violations; 2: usage or connection error.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Pool } from 'undici';
import { driveClosed, driveOpen, newDriveRecord, type DriveRecord } from './buyer-drivers';
import { countAnswers } from './latency-record';
import { newRoomRecord, openRoom, roomBuyerOf, type RoomRecord } from './room-buyer';
import { parseSaleOptions, type SaleOptions } from './sale-options';
import { auditSale, waitForOrdersEnded } from './sale-ending';
import { buyerOf, createSale } from './sale-requests';
import { readSaleStack, type SaleOrders, type SaleStack } from './sale-stack';
import { renderProgress, renderSummary, summarize } from './sale-summary';

const POLL_MS = 250;

class UsageError extends Error {}

/** Redraws one line on a terminal; otherwise a plain line every 2 s. On stderr when stdout carries the JSON. */
function showProgress(record: DriveRecord, options: SaleOptions, room?: RoomRecord): () => void {
  const out = options.json ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  let last = { at: performance.now(), answered: 0 };
  let ticks = 0;
  const draw = (final = false) => {
    const now = performance.now();
    const perSecond = ((record.answers.length - last.answered) * 1000) / Math.max(1, now - last.at);
    last = { at: now, answered: record.answers.length };
    const line = renderProgress(countAnswers(record.sent, record.answers), perSecond, options.buyers, room);
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
  // Through a room most buyers sleep between polls: they need no connection of their own.
  const pool = new Pool(stack.serviceUrls.order, {
    connections: options.rate === null && !options.room ? options.concurrency : 256,
  });
  try {
    await createSale(stack, options).catch((error: Error) => {
      throw new UsageError(error.message);
    });
    const room = options.room && (await roomOpened(pool, stack, options));
    const record = newDriveRecord();
    const stopProgress = showProgress(record, options, room?.record);
    const order = buyerOf(pool, options);
    const buy = room ? roomBuyerOf(pool, options, order, room.record) : order;
    if (options.rate === null) await driveClosed(options.buyers, options.concurrency, buy, record);
    else await driveOpen(options.buyers, options.rate, buy, record);
    const driveSeconds = (performance.now() - record.startedAt) / 1000;
    stopProgress();
    // (None at all: every buyer was told sold out by the room, which answered each.)
    if (record.answers.length && record.answers.every((answer) => answer.status === 0))
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
      room: room ?? undefined,
      // Every ticket CONFIRMED: the sale sold out when the last was.
      soldOutAtEpochMs:
        orders.confirmed * options.quantity >= options.stock ? orders.lastConfirmedAtEpochMs : null,
    });
    process.stdout.write(`${options.json ? JSON.stringify(summary) : renderSummary(summary)}\n`);
    return summary.violations.length || summary.room?.breaches.length ? 1 : 0;
  } finally {
    await pool.close();
    await db.end();
  }
}

/** The sale's room on; then buyer 0 tries POST /orders before queueing (no key, no token): the room must say 429. */
async function roomOpened(pool: Pool, stack: SaleStack, options: SaleOptions) {
  await openRoom(stack, options.eventId, options.room!).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  const { status } = await buyerOf(pool, { ...options, keys: false })(0);
  return { record: newRoomRecord(), orderWithoutAdmission: status };
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
