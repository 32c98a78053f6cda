/** One answer: its HTTP status (0: no answer, the connection failed) and its latency in milliseconds. */
export interface Answer {
  status: number;
  latencyMs: number;
}

export interface LatencyFigures {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted values: the smallest value with at least `p` % of them at or below it. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Latency figures per status ("202", "409"...) and for all answers together ("all"). */
export function latencyByStatus(answers: Answer[]): Record<string, LatencyFigures> {
  const groups = new Map<string, number[]>([['all', []]]);
  for (const { status, latencyMs } of answers) {
    groups.get('all')!.push(latencyMs);
    const key = String(status);
    const group = groups.get(key) ?? [];
    group.push(latencyMs);
    groups.set(key, group);
  }
  const figures: Record<string, LatencyFigures> = {};
  for (const [key, values] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const group = latencyFigures(values);
    if (group) figures[key] = group;
  }
  return figures;
}

/** Count, p50, p90, p99 and max of the values (sorted in place); null when there are none. */
export function latencyFigures(values: number[]): LatencyFigures | null {
  if (!values.length) return null;
  const sorted = values.sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** Answers so far by class, for the live progress line. */
export interface AnswerCounts {
  sent: number;
  accepted: number;
  soldOut: number;
  otherClientError: number;
  serverError: number;
}

export function countAnswers(sent: number, answers: Answer[]): AnswerCounts {
  const counts = { sent, accepted: 0, soldOut: 0, otherClientError: 0, serverError: 0 };
  for (const { status } of answers) {
    if (status === 202) counts.accepted++;
    else if (status === 409) counts.soldOut++;
    else if (status >= 400 && status < 500) counts.otherClientError++;
    else counts.serverError++;
  }
  return counts;
}
