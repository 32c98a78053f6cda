import type { Violation } from '../../ops/audit/find-violations';
import { latencyByStatus, type Answer, type LatencyFigures } from './latency-record';
import type { SaleOptions } from './sale-options';

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
    summary.violations.length ? `violations (${summary.violations.length}):` : 'violations: none',
    ...summary.violations.map((v) => `  ${v.code} ${v.where}: ${v.detail}`),
  ];
  return lines.join('\n');
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
): string {
  return `sent ${counts.sent}/${buyers}  202 ${counts.accepted}  409 ${counts.soldOut}  4xx ${counts.otherClientError}  5xx/none ${counts.serverError}  ${perSecond.toFixed(0)} req/s`;
}
