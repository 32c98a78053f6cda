import type { Violation } from '../../ops/audit/find-violations';
import { latencyByStatus, latencyFigures, type Answer, type LatencyFigures } from './latency-record';
import { toldAfterSellOutMs, type RoomRecord, type RoomSettings } from './room-buyer';
import type { SaleOptions } from './sale-options';

/** With --waiting-room: the buyers' time in the room, and whether anyone bought without being admitted. */
export interface RoomSummary extends RoomSettings {
  entered: number;
  admitted: number;
  polls: number;
  /** Orders accepted (202), each bought with an admission token. */
  bought: number;
  /** From a buyer's arrival to its admission; null when nobody was admitted. */
  timeInRoomMs: LatencyFigures | null;
  failures: Record<string, number>;
  /** Buyers told the sale is sold out (entering, or waiting), who stopped there; of them, those that were waiting. */
  toldSoldOut: number;
  toldSoldOutWaiting: number;
  /** From the sell-out (the last order CONFIRMED) to each waiting buyer told; null when none was, or no sell-out. */
  toldAfterSellOutMs: LatencyFigures | null;
  /** The answer to one POST /orders without an admission token while the room was on: 429 is right. */
  orderWithoutAdmission: number;
  /** The sale's orders in the database beyond the buyers admitted: 0 is right. */
  ordersBeyondAdmitted: number;
  /** What says someone got past the room; empty when nobody did. */
  breaches: string[];
}

/** Everything `npm run sale` reports at the end; the --json output as it is. */
export interface SaleSummary {
  eventId: string;
  stock: number;
  model: string;
  sent: number;
  answered: number;
  answersByStatus: Record<string, number>;
  requestsPerSecond: number;
  latencyMs: Record<string, LatencyFigures>;
  orders: {
    accepted: number;
    confirmed: number;
    created: number;
    cancelled: number;
    cancelledBy: Record<string, number>;
  };
  /** From the first request to the last order ended; null when no order was accepted. */
  firstRequestToLastEndedSeconds: number | null;
  /** Set when the wait for every accepted order to end hit its deadline. */
  waitDeadlineHit: boolean;
  violations: Violation[];
  room: RoomSummary | null;
}

export function summarize(input: {
  options: SaleOptions;
  sent: number;
  answers: Answer[];
  driveSeconds: number;
  orders: SaleSummary['orders'];
  firstRequestToLastEndedSeconds: number | null;
  waitDeadlineHit: boolean;
  violations: Violation[];
  room?: { record: RoomRecord; orderWithoutAdmission: number };
  /** When the sale sold out (its last order CONFIRMED, Date.now() scale); null or absent: it did not. */
  soldOutAtEpochMs?: number | null;
}): SaleSummary {
  const { options, answers } = input;
  const answersByStatus: Record<string, number> = {};
  for (const { status } of answers) answersByStatus[status] = (answersByStatus[status] ?? 0) + 1;
  return {
    eventId: options.eventId,
    stock: options.stock,
    model:
      options.rate === null ? `closed, ${options.concurrency} concurrent` : `open, ${options.rate} req/s`,
    sent: input.sent,
    answered: answers.filter((answer) => answer.status !== 0).length,
    answersByStatus,
    requestsPerSecond: input.driveSeconds > 0 ? answers.length / input.driveSeconds : 0,
    latencyMs: latencyByStatus(answers),
    orders: input.orders,
    firstRequestToLastEndedSeconds: input.firstRequestToLastEndedSeconds,
    waitDeadlineHit: input.waitDeadlineHit,
    violations: input.violations,
    room:
      options.room && input.room
        ? roomSummary(options.room, input.room, input.orders, input.soldOutAtEpochMs ?? null)
        : null,
  };
}

function roomSummary(
  settings: RoomSettings,
  { record, orderWithoutAdmission }: { record: RoomRecord; orderWithoutAdmission: number },
  orders: SaleSummary['orders'],
  soldOutAtEpochMs: number | null,
): RoomSummary {
  const total = orders.confirmed + orders.cancelled + orders.created;
  const ordersBeyondAdmitted = Math.max(0, total - record.admitted);
  const breaches = [
    ...(orderWithoutAdmission === 429
      ? []
      : [`POST /orders without an admission token answered ${orderWithoutAdmission}, not 429`]),
    ...(ordersBeyondAdmitted ? [`${ordersBeyondAdmitted} orders more than buyers admitted`] : []),
  ];
  return {
    ...settings,
    entered: record.entered,
    admitted: record.admitted,
    polls: record.polls,
    bought: orders.accepted,
    timeInRoomMs: latencyFigures([...record.waitsMs]),
    failures: record.failures,
    toldSoldOut: record.toldSoldOut,
    toldSoldOutWaiting: record.toldSoldOutWaitingAtMs.length,
    toldAfterSellOutMs: toldAfterSellOutMs(record, soldOutAtEpochMs),
    orderWithoutAdmission,
    ordersBeyondAdmitted,
    breaches,
  };
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** The summary for a person: one block, the violations last. */
export function renderSummary(summary: SaleSummary): string {
  const { orders } = summary;
  const reasons = Object.entries(orders.cancelledBy)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  const lines = [
    `sale ${summary.eventId}: stock ${summary.stock}, ${summary.sent} buyers (${summary.model})`,
    `answers: ${Object.entries(summary.answersByStatus)
      .map(([status, count]) => `${count} × ${status === '0' ? 'no answer' : status}`)
      .join(', ')}; ${summary.requestsPerSecond.toFixed(0)} req/s`,
    'latency      count      p50      p90      p99      max',
    ...Object.entries(summary.latencyMs).map(
      ([status, f]) =>
        `  ${status.padEnd(8)} ${String(f.count).padStart(7)} ${[f.p50, f.p90, f.p99, f.max].map((v) => ms(v).padStart(8)).join(' ')}`,
    ),
    `orders: ${orders.accepted} accepted, ${orders.confirmed} confirmed, ${orders.cancelled} cancelled${reasons ? ` (${reasons})` : ''}` +
      (orders.created ? `, ${orders.created} not ended` : ''),
    summary.firstRequestToLastEndedSeconds === null
      ? 'no order accepted'
      : `first request to last order ended: ${summary.firstRequestToLastEndedSeconds.toFixed(2)} s`,
    ...(summary.waitDeadlineHit ? ['the wait for every order to end hit its deadline'] : []),
    ...(summary.room ? renderRoom(summary.room) : []),
    summary.violations.length ? `violations (${summary.violations.length}):` : 'violations: none',
    ...summary.violations.map((v) => `  ${v.code} ${v.where}: ${v.detail}`),
  ];
  return lines.join('\n');
}

const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

function renderRoom(room: RoomSummary): string[] {
  const wait = room.timeInRoomMs;
  const failures = Object.entries(room.failures).map(([kind, count]) => `${count} × ${kind}`);
  return [
    `waiting room: ${room.admitPerSecond} admitted/s${room.preQueueSeconds === null ? '' : `, pre-queue ${room.preQueueSeconds} s`}; ` +
      `${room.entered} entered, ${room.admitted} admitted, ${room.bought} bought; ${room.polls} polls` +
      (failures.length ? `; ended in the room: ${failures.join(', ')}` : ''),
    wait
      ? `time in the room: p50 ${seconds(wait.p50)}, p99 ${seconds(wait.p99)}, max ${seconds(wait.max)}`
      : 'time in the room: nobody admitted',
    toldSoldOutLine(room),
    room.breaches.length
      ? `bought without admission: ${room.breaches.join('; ')}`
      : 'bought without admission: nobody (POST /orders without a token: 429)',
  ];
}

/** Who the room told the sale is sold out, and how long after the sell-out the buyers waiting then were told. */
function toldSoldOutLine(room: RoomSummary): string {
  if (!room.toldSoldOut) return 'told sold out: nobody';
  const after = room.toldAfterSellOutMs;
  const when = after
    ? `, told p99 ${seconds(after.p99)}, max ${seconds(after.max)} after the sell-out`
    : room.toldSoldOutWaiting
      ? ', the sale not sold out by its orders'
      : '';
  return `told sold out: ${room.toldSoldOut} (${room.toldSoldOutWaiting} of them waiting${when})`;
}

/** The live line: sent, answers by class so far, current req/s. */
export function renderProgress(
  counts: {
    sent: number;
    accepted: number;
    soldOut: number;
    otherClientError: number;
    serverError: number;
  },
  perSecond: number,
  buyers: number,
  room?: Pick<RoomRecord, 'entered' | 'admitted' | 'toldSoldOut' | 'toldSoldOutWaitingAtMs'>,
): string {
  const waiting = room ? room.entered - room.admitted - room.toldSoldOutWaitingAtMs.length : 0;
  const told = room?.toldSoldOut ? `, ${room.toldSoldOut} told sold out` : '';
  const inRoom = room ? `room ${waiting} waiting, ${room.admitted} admitted${told}  ` : '';
  return `sent ${counts.sent}/${buyers}  ${inRoom}202 ${counts.accepted}  409 ${counts.soldOut}  4xx ${counts.otherClientError}  5xx/none ${counts.serverError}  ${perSecond.toFixed(0)} req/s`;
}
