import { performance } from 'node:perf_hooks';
import type { Answer } from './latency-record';

/**
 * One buyer's POST /orders: its status (0 when no answer came) and, when accepted, the order id. Through a waiting
 * room, `admittedAt` (performance.now()) is when it was let in: its latency counts from then, its wait is the room's;
 * `toldSoldOut`: the room told it the sale is sold out, so it never sent POST /orders (the room's record counts it,
 * not the answers).
 */
export type Buy = (
  index: number,
) => Promise<{ status: number; orderId?: string; admittedAt?: number; toldSoldOut?: boolean }>;

/** What the drivers fill in as answers come, read by the progress line and the summary. */
export interface DriveRecord {
  sent: number;
  answers: Answer[];
  acceptedOrderIds: string[];
  /** performance.now() of the first request, and Date.now() of it (to compare with the database's clock). */
  startedAt: number;
  startedAtEpochMs: number;
}

export function newDriveRecord(): DriveRecord {
  return { sent: 0, answers: [], acceptedOrderIds: [], startedAt: NaN, startedAtEpochMs: NaN };
}

async function send(buy: Buy, index: number, since: number, record: DriveRecord): Promise<void> {
  if (record.sent++ === 0) {
    record.startedAt = performance.now();
    record.startedAtEpochMs = Date.now();
  }
  const { status, orderId, admittedAt, toldSoldOut } = await buy(index);
  if (toldSoldOut) return;
  record.answers.push({ status, latencyMs: performance.now() - (admittedAt ?? since) });
  if (status === 202 && orderId) record.acceptedOrderIds.push(orderId);
}

/** Closed model: `concurrency` buyers at a time, each sending the next request when its answer came. */
export async function driveClosed(buyers: number, concurrency: number, buy: Buy, record: DriveRecord) {
  let next = 0;
  const worker = async () => {
    while (next < buyers) {
      const index = next++;
      await send(buy, index, performance.now(), record);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, buyers) }, worker));
}

/** When buyer `index` is due in the open model, in ms after the start. */
export function scheduledOffsetMs(index: number, rate: number): number {
  return (index * 1000) / rate;
}

/**
 * Open model: buyer i is sent at start + i/rate whatever the earlier answers; its latency counts from that
 * scheduled time, so that a stall of the client or the server shows (no coordinated omission).
 */
export async function driveOpen(buyers: number, rate: number, buy: Buy, record: DriveRecord) {
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let index = 0; index < buyers; index++) {
    const due = start + scheduledOffsetMs(index, rate);
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(buy, index, due, record));
  }
  await Promise.all(inFlight);
}
