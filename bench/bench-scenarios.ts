// The scenarios of `npm run bench`, each run against one system (Boxoffice or the baseline) and checked: S1 sold-out
// storm, S2 accepted orders, S3 open-model arrivals, S4 a waiting room (Boxoffice only). A run's figures come with its
// violations.
import { performance } from 'node:perf_hooks';
import { costBetween, type CostSnapshot, type RunCost } from './bench-cost';
import type { BenchSystem } from './bench-systems';
import { driveClosed, driveOpen, newDriveRecord, type Buy, type DriveRecord } from './sale/buyer-drivers';
import { latencyByStatus, latencyFigures, percentile } from './sale/latency-record';
import { newRoomRecord, toldAfterSellOutMs } from './sale/room-buyer';
import type { Order } from './sale/sale-requests';

export interface RunFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers by HTTP status; "0" counts requests that got no answer. */
  statuses: Record<string, number>;
  accepted: number;
  violations: string[];
  /** What each process asked of others and its CPU, from the first request to the sale's last order ended. */
  cost?: RunCost;
}

export interface AcceptedFigures extends RunFigures {
  acceptedPerSecond: number;
  /** Boxoffice: orders CONFIRMED while the storm lasted, per second of it. */
  confirmedPerSecond?: number;
  /** Boxoffice: orders not ended yet when the last answer came, and how long they took to end after it. */
  unendedAtStormEnd?: number;
  drainSeconds?: number;
}

export interface ArrivalFigures extends RunFigures {
  rate: number;
  /** Boxoffice: from a buyer's scheduled send to its order CONFIRMED. */
  timeToConfirmedP50Ms?: number;
  timeToConfirmedP99Ms?: number;
}

export interface RoomFigures extends RunFigures {
  tickets: number;
  buyers: number;
  admitPerSecond: number | 'auto';
  admitted: number;
  /** From a buyer's arrival (POST .../entries) to the answer that admitted it. */
  roomP50Ms: number;
  roomP99Ms: number;
  roomMaxMs: number;
  /** Orders accepted per second from the first buyer admitted to the last 202: the pace the room let through. */
  acceptedPerSecond: number;
  /** Orders ended per second from the first arrival to the sale's last order ended, and those seconds. */
  endedPerSecond: number;
  sellOutSeconds: number;
  /** The most orders CREATED ORDER_SAGA_BACKLOG_AFTER_SECONDS (2 s) ago or more, still open, sampled each second. */
  lateBacklogMax: number;
  /** 503 answers to POST /orders (OVERLOADED: the saga behind), each asked again after its Retry-After. */
  overloaded: number;
  /** GET .../entries/{id} asked by all the buyers together. */
  polls: number;
  /**
   * Buyers the room told the sale is sold out (contract §2, _The room follows its sale's stock_), who stopped there:
   * waiting, or arriving (409 SOLD_OUT); absent from the runs before the room knew.
   */
  toldSoldOut?: number;
  /** From the sell-out (the sale's last order CONFIRMED) to each buyer waiting then being told; NaN: none was. */
  toldAfterSellOutP99Ms?: number;
  toldAfterSellOutMaxMs?: number;
}

interface Drive {
  record: DriveRecord;
  seconds: number;
  endedAtEpochMs: number;
  /** When each accepted order's request was sent, epoch ms by order id. */
  sentAt: Map<string, number>;
}

async function drive(buy: Buy, run: (buy: Buy, record: DriveRecord) => Promise<void>): Promise<Drive> {
  const record = newDriveRecord();
  const sentAt = new Map<string, number>();
  const timed: Buy = async (index) => {
    const at = Date.now();
    const answer = await buy(index);
    if (answer.orderId) sentAt.set(answer.orderId, at);
    return answer;
  };
  await run(timed, record);
  return {
    record,
    seconds: (performance.now() - record.startedAt) / 1000,
    endedAtEpochMs: Date.now(),
    sentAt,
  };
}

function figuresOf({ record, seconds }: Drive, violations: string[]): RunFigures {
  const all = latencyByStatus(record.answers).all;
  const statuses: Record<string, number> = {};
  for (const { status } of record.answers) statuses[status] = (statuses[status] ?? 0) + 1;
  // No answer at all means a connection refused or reset: a process died or stopped listening.
  if (statuses['0']) violations.push(`NO_ANSWER (${statuses['0']} requests got none)`);
  return {
    requests: record.sent,
    seconds,
    requestsPerSecond: record.answers.length / seconds,
    p50Ms: all?.p50 ?? NaN,
    p99Ms: all?.p99 ?? NaN,
    statuses,
    accepted: record.acceptedOrderIds.length,
    violations,
  };
}

/**
 * S1: `requests` buyers over `concurrency` connections for a sale of `stock`; all but `stock` answered 409. Each with
 * an Idempotency-Key of its own, or (`keys` false) none.
 */
export async function soldOutStorm(
  system: BenchSystem,
  {
    eventId,
    stock,
    requests,
    concurrency,
    keys = true,
  }: { eventId: string; stock: number; requests: number; concurrency: number; keys?: boolean },
): Promise<RunFigures> {
  await system.createSale(eventId, stock);
  const costFrom = await system.cost?.();
  const run = await drive(system.buyer(eventId, keys), (buy, record) =>
    driveClosed(requests, concurrency, buy, record),
  );
  const accepted = run.record.acceptedOrderIds.length;
  const cost = await costSince(system, costFrom, eventId, accepted, run.record.answers.length, 'request');
  return { ...figuresOf(run, await system.violations(eventId, stock, accepted)), cost };
}

/** The cost of a run: up to the end of the saga of its orders (its work is the run's), before any audit. */
async function costSince(
  system: BenchSystem,
  from: CostSnapshot | undefined,
  eventId: string,
  accepted: number,
  units: number,
  per: RunCost['per'],
): Promise<RunCost | undefined> {
  if (!from || !system.cost) return undefined;
  await system.saga?.waitEnded(eventId, accepted);
  return costBetween(from, await system.cost(), units, per);
}

const RETRY_AFTER_MS = 1000;
const MAX_TRIES = 120;

/** A buyer as a client should be: a 503 OVERLOADED is asked again after its Retry-After (1 s), same key (and same
 * admission token, which the key keeps). Counts the 503s in `seen`. */
function retryingOverload(order: Order, seen = { overloaded: 0 }): Order {
  return async (index, admissionToken) => {
    for (let tries = 1; ; tries++) {
      const answer = await order(index, admissionToken);
      if (answer.status !== 503 || tries === MAX_TRIES) return answer;
      seen.overloaded++;
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
    }
  };
}

/** S2: as many tickets as buyers, so that every one is accepted; Boxoffice's saga must keep up with them. */
export async function acceptedOrders(
  system: BenchSystem,
  { eventId, requests, concurrency }: { eventId: string; requests: number; concurrency: number },
): Promise<AcceptedFigures> {
  await system.createSale(eventId, requests);
  const costFrom = await system.cost?.();
  const run = await drive(retryingOverload(system.buyer(eventId)), (buy, record) =>
    driveClosed(requests, concurrency, buy, record),
  );
  const accepted = run.record.acceptedOrderIds.length;
  const saga = system.saga;
  const sagaFigures = saga && {
    confirmedPerSecond: (await saga.confirmedBy(eventId, run.endedAtEpochMs)) / run.seconds,
    unendedAtStormEnd: await saga.unended(eventId),
    drainSeconds: await saga
      .waitEnded(eventId, accepted)
      .then(({ orders }) =>
        Math.max(0, ((orders.lastEndedAtEpochMs ?? run.endedAtEpochMs) - run.endedAtEpochMs) / 1000),
      ),
  };
  const cost = await costSince(system, costFrom, eventId, accepted, accepted, 'accepted order');
  const figures = figuresOf(run, await system.violations(eventId, requests, accepted));
  return { ...figures, acceptedPerSecond: accepted / run.seconds, ...sagaFigures, cost };
}

/** S3: buyers arrive on a schedule, `rate` a second for `seconds`, whatever the answers (no coordinated omission). */
export async function openArrivals(
  system: BenchSystem,
  { eventId, rate, seconds }: { eventId: string; rate: number; seconds: number },
): Promise<ArrivalFigures> {
  const buyers = Math.max(1, Math.round(rate * seconds));
  await system.createSale(eventId, buyers);
  const costFrom = await system.cost?.();
  const run = await drive(system.buyer(eventId), (buy, record) => driveOpen(buyers, rate, buy, record));
  const accepted = run.record.acceptedOrderIds.length;
  const cost = await costSince(system, costFrom, eventId, accepted, accepted, 'accepted order');
  const violations = await system.violations(eventId, buyers, accepted);
  let confirmTimes: { timeToConfirmedP50Ms: number; timeToConfirmedP99Ms: number } | undefined;
  if (system.saga) {
    const confirmedAt = await system.saga.confirmedAt(eventId);
    const waits = [...confirmedAt]
      .filter(([orderId]) => run.sentAt.has(orderId))
      .map(([orderId, at]) => at - run.sentAt.get(orderId)!)
      .sort((a, b) => a - b);
    confirmTimes = {
      timeToConfirmedP50Ms: percentile(waits, 50),
      timeToConfirmedP99Ms: percentile(waits, 99),
    };
  }
  return { ...figuresOf(run, violations), rate, ...confirmTimes, cost };
}

/** Calls `sample` once a second until stopped; the largest value seen. */
function sampledMax(sample: () => Promise<number>): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await sample());
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

/**
 * S4 (Boxoffice only): `buyers` for `tickets`, all arriving at once at the sale's waiting room, which admits
 * `admitPerSecond`; each polls after its pollAfterSeconds and buys with its admission. The saga must never fall behind
 * what the room lets in: no late backlog, no 503. Once the sale is sold out the room tells those still waiting, who
 * stop: the run ends with the sale, not with the queue.
 */
export async function roomSale(
  system: BenchSystem,
  {
    eventId,
    tickets,
    buyers,
    admitPerSecond,
  }: { eventId: string; tickets: number; buyers: number; admitPerSecond: number | 'auto' },
): Promise<RoomFigures> {
  const { room, saga } = system;
  if (!room || !saga) throw new Error(`${system.name} has no waiting room`);
  await system.createSale(eventId, tickets);
  await room.open(eventId, admitPerSecond);
  const costFrom = await system.cost?.();
  const record = newRoomRecord();
  const seen = { overloaded: 0 };
  let firstAdmittedAt = Infinity;
  let lastAcceptedAt = NaN;
  const order = retryingOverload(system.buyer(eventId), seen);
  const timed: Order = async (index, token) => {
    firstAdmittedAt = Math.min(firstAdmittedAt, performance.now());
    const answer = await order(index, token);
    if (answer.status === 202) lastAcceptedAt = performance.now();
    return answer;
  };
  const backlog = sampledMax(() => saga.lateBacklog(eventId));
  const run = await drive(room.enter(eventId, timed, record), (buy, drives) =>
    driveClosed(buyers, buyers, buy, drives),
  );
  const accepted = run.record.acceptedOrderIds.length;
  const { orders } = await saga.waitEnded(eventId, accepted);
  const lateBacklogMax = await backlog.stop();
  const cost = await costSince(system, costFrom, eventId, accepted, accepted, 'accepted order');
  const violations = await system.violations(eventId, tickets, accepted);
  const failures = Object.entries(record.failures).map(([kind, count]) => `${count} × ${kind}`);
  if (failures.length) violations.push(`ROOM_REFUSED (${failures.join(', ')})`);
  if (orders.total > record.admitted)
    violations.push(`ORDERS_BEYOND_ADMITTED (${orders.total} orders, ${record.admitted} admitted)`);
  const wait = latencyFigures(record.waitsMs);
  const sellOutSeconds = ((orders.lastEndedAtEpochMs ?? NaN) - run.record.startedAtEpochMs) / 1000;
  // Every ticket CONFIRMED: the sale sold out when the last was, and the room told those still waiting.
  const soldOutAt = orders.confirmed >= tickets ? orders.lastConfirmedAtEpochMs : null;
  const told = toldAfterSellOutMs(record, soldOutAt);
  if (record.toldSoldOut > 0 && soldOutAt === null)
    violations.push(
      `TOLD_SOLD_OUT_UNSOLD (${record.toldSoldOut} told, ${orders.confirmed} of ${tickets} sold)`,
    );
  return {
    ...figuresOf(run, violations),
    tickets,
    buyers,
    admitPerSecond,
    admitted: record.admitted,
    roomP50Ms: wait?.p50 ?? NaN,
    roomP99Ms: wait?.p99 ?? NaN,
    roomMaxMs: wait?.max ?? NaN,
    acceptedPerSecond: (accepted * 1000) / (lastAcceptedAt - firstAdmittedAt),
    endedPerSecond: accepted / sellOutSeconds,
    sellOutSeconds,
    lateBacklogMax,
    overloaded: seen.overloaded,
    polls: record.polls,
    toldSoldOut: record.toldSoldOut,
    toldAfterSellOutP99Ms: told?.p99 ?? NaN,
    toldAfterSellOutMaxMs: told?.max ?? NaN,
    cost,
  };
}
