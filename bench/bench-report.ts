// What `npm run bench` keeps of a run: the JSON of every figure, and from it the table and the chart that
// bench/README.md shows. Pure, except writeResults.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart, type ChartPanel } from './bench-chart';
import { perUnit, type UnitCost } from './bench-cost';
import { SCENARIOS, type BenchOptions, type Scenario } from './bench-options';
import type { AcceptedFigures, ArrivalFigures, RoomFigures, RunFigures } from './bench-scenarios';

/** Runs by system: 'Boxoffice', 'baseline' and, with --against, 'Boxoffice@<commit>'. */
type PerSystem<T> = Record<string, T[]>;

export interface BenchResults {
  date: string;
  commit: string;
  machine: { cpus: number; cpuModel: string; node: string; memoryGiB: number };
  options: BenchOptions;
  s1: PerSystem<RunFigures>;
  s2: PerSystem<AcceptedFigures>;
  /** The rate S3 ran at: half of Boxoffice's median accepted/s in S2. */
  s3Rate: number;
  s3: PerSystem<ArrivalFigures>;
  /** Boxoffice only (the baseline has no room); absent from the runs before it. */
  s4?: PerSystem<RoomFigures>;
  /** With --against: the other build's name ('Boxoffice@<commit>') and the ref asked for. */
  against?: { name: string; ref: string };
  /** Peak resident set of each process over the whole bench, warm-up included. */
  peakRssMiB: Record<string, number | null>;
  violations: string[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (the middle run; the mean of the two middle ones when even) and the range of the runs. */
export function spreadOf(values: (number | undefined)[]): Spread {
  const sorted = values
    .filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (!sorted.length) return { median: NaN, min: NaN, max: NaN };
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

interface Row {
  scenario: string;
  figure: string;
  boxoffice: Spread;
  baseline?: Spread;
  /** Boxoffice's median over the baseline's (or over the row's own reference, as the target says). */
  ratio?: number;
  target?: { text: string; met: boolean };
}

/** The table's rows: each figure of each scenario, its ratio and, where the issue set one, its target. */
export function rowsOf(results: BenchResults): Row[] {
  const of = <T>(runs: T[], pick: (run: T) => number | undefined) => spreadOf(runs.map(pick));
  const s1 = { b: results.s1.Boxoffice, y: results.s1.baseline };
  const s2 = { b: results.s2.Boxoffice, y: results.s2.baseline };
  const s3 = { b: results.s3.Boxoffice, y: results.s3.baseline };
  const s1Rps = [of(s1.b, (r) => r.requestsPerSecond), of(s1.y, (r) => r.requestsPerSecond)];
  const s2Accepted = [of(s2.b, (r) => r.acceptedPerSecond), of(s2.y, (r) => r.acceptedPerSecond)];
  const s2Confirmed = of(s2.b, (r) => r.confirmedPerSecond);
  const s3P99 = [of(s3.b, (r) => r.p99Ms), of(s3.y, (r) => r.p99Ms)];
  const ratio = (a: Spread, b: Spread) => a.median / b.median;
  const atLeast = (value: number, bound: number) => ({ text: `>= ${bound}`, met: value >= bound });
  const atMost = (value: number, bound: number) => ({ text: `<= ${bound}`, met: value <= bound });
  const s1Ratio = ratio(s1Rps[0], s1Rps[1]);
  const s2Ratio = ratio(s2Accepted[0], s2Accepted[1]);
  const keepUp = ratio(s2Confirmed, s2Accepted[0]);
  const s3Ratio = ratio(s3P99[0], s3P99[1]);
  const s3Name = `S3 open model, ${results.s3Rate.toFixed(0)} req/s`;
  return [
    {
      scenario: 'S1 sold-out storm',
      figure: 'req/s',
      boxoffice: s1Rps[0],
      baseline: s1Rps[1],
      ratio: s1Ratio,
      target: atLeast(s1Ratio, 0.8),
    },
    {
      scenario: 'S1 sold-out storm',
      figure: 'p99 ms',
      boxoffice: of(s1.b, (r) => r.p99Ms),
      baseline: of(s1.y, (r) => r.p99Ms),
    },
    {
      scenario: 'S2 accepted orders',
      figure: 'accepted/s',
      boxoffice: s2Accepted[0],
      baseline: s2Accepted[1],
      ratio: s2Ratio,
      target: atLeast(s2Ratio, 0.6),
    },
    {
      scenario: 'S2 accepted orders',
      figure: 'confirmed/s in the storm (ratio: to accepted/s)',
      boxoffice: s2Confirmed,
      ratio: keepUp,
      target: atLeast(keepUp, 0.8),
    },
    {
      scenario: 'S2 accepted orders',
      figure: 'orders not ended at the last answer',
      boxoffice: of(s2.b, (r) => r.unendedAtStormEnd),
    },
    {
      scenario: 'S2 accepted orders',
      figure: 'seconds to end them after it',
      boxoffice: of(s2.b, (r) => r.drainSeconds),
    },
    {
      scenario: 'S2 accepted orders',
      figure: 'p99 ms',
      boxoffice: of(s2.b, (r) => r.p99Ms),
      baseline: of(s2.y, (r) => r.p99Ms),
    },
    {
      scenario: s3Name,
      figure: 'p50 ms',
      boxoffice: of(s3.b, (r) => r.p50Ms),
      baseline: of(s3.y, (r) => r.p50Ms),
    },
    {
      scenario: s3Name,
      figure: 'p99 ms',
      boxoffice: s3P99[0],
      baseline: s3P99[1],
      ratio: s3Ratio,
      target: atMost(s3Ratio, 2),
    },
    {
      scenario: s3Name,
      figure: 'time to CONFIRMED p50 ms',
      boxoffice: of(s3.b, (r) => r.timeToConfirmedP50Ms),
    },
    {
      scenario: s3Name,
      figure: 'time to CONFIRMED p99 ms',
      boxoffice: of(s3.b, (r) => r.timeToConfirmedP99Ms),
    },
    ...roomRows(results),
  ];
}

/**
 * S4's rows: absolute figures (the baseline has no room), but for what compares: accepted/s to the rate the room
 * admits, and orders ended a second to S2's (first request to last order ended, in the same run).
 */
function roomRows(results: BenchResults): Row[] {
  const runs = results.s4?.Boxoffice ?? [];
  if (!runs.length) return [];
  const of = (pick: (run: RoomFigures) => number) => spreadOf(runs.map(pick));
  const rate = results.options.s4?.admitPerSecond ?? runs[0]?.admitPerSecond;
  const scenario = `S4 waiting room, ${results.options.s4?.buyers ?? runs[0]?.buyers ?? '?'} buyers, ${rate ?? '?'}/s`;
  const accepted = of((r) => r.acceptedPerSecond);
  const ended = of((r) => r.endedPerSecond);
  // S2's orders from its first request to its last order ended: the pace of a sale without a room.
  const s2Ended = spreadOf(
    (results.s2.Boxoffice ?? []).map((r) => r.accepted / (r.seconds + (r.drainSeconds ?? NaN))),
  );
  // Every run, not the median: the saga is never behind, or it was.
  const none = (spread: Spread) => ({ text: '= 0 (every run)', met: spread.max === 0 });
  const backlog = of((r) => r.lateBacklogMax);
  const overloaded = of((r) => r.overloaded);
  return [
    { scenario, figure: 'time in the room p50 s', boxoffice: of((r) => r.roomP50Ms / 1000) },
    { scenario, figure: 'time in the room p99 s', boxoffice: of((r) => r.roomP99Ms / 1000) },
    {
      scenario,
      figure: 'accepted/s (ratio: to the admission rate)',
      boxoffice: accepted,
      ...(typeof rate === 'number' && { ratio: accepted.median / rate }),
    },
    {
      scenario,
      figure: "orders ended/s, first arrival to last order ended (ratio: to S2's)",
      boxoffice: ended,
      ratio: ended.median / s2Ended.median,
    },
    {
      scenario,
      figure: 'seconds to sell out (to the last order ended)',
      boxoffice: of((r) => r.sellOutSeconds),
    },
    {
      scenario,
      figure: 'late saga backlog, most sampled',
      boxoffice: backlog,
      target: none(backlog),
    },
    { scenario, figure: '503 OVERLOADED answers', boxoffice: overloaded, target: none(overloaded) },
    { scenario, figure: 'POST /orders p99 ms, from admission', boxoffice: of((r) => r.p99Ms) },
    { scenario, figure: 'polls per buyer', boxoffice: of((r) => r.polls / r.buyers) },
    ...(runs.some((r) => r.toldSoldOut !== undefined) ? toldRows(scenario, of) : []),
  ];
}

/** Buyers the room told the sale is sold out, and how long after the sell-out the last waiting ones were told. */
function toldRows(scenario: string, of: (pick: (run: RoomFigures) => number) => Spread): Row[] {
  return [
    { scenario, figure: 'buyers told sold out', boxoffice: of((r) => r.toldSoldOut ?? NaN) },
    {
      scenario,
      figure: 'told sold out p99 s, after the sell-out',
      boxoffice: of((r) => (r.toldAfterSellOutP99Ms ?? NaN) / 1000),
    },
    {
      scenario,
      figure: 'told sold out max s, after the sell-out',
      boxoffice: of((r) => (r.toldAfterSellOutMaxMs ?? NaN) / 1000),
    },
  ];
}

const number = (value: number) =>
  !Number.isFinite(value)
    ? '–'
    : value >= 100
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(value >= 10 ? 1 : 2);
const spread = (s: Spread | undefined, runs: number) =>
  !s
    ? ''
    : runs > 1 && s.min !== s.max
      ? `${number(s.median)} (${number(s.min)}–${number(s.max)})`
      : number(s.median);

/** The markdown table of a run: figures, ratios, targets, peak RSS and violations. */
export function renderTable(results: BenchResults): string {
  const runs = results.options.runs;
  const lines = [
    `| scenario | figure | Boxoffice, median (min–max) | baseline | ratio | target |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rowsOf(results)
      .filter((row) => ran(results, row.scenario))
      .map(
        (row) =>
          `| ${row.scenario} | ${row.figure} | ${spread(row.boxoffice, runs)} | ${spread(row.baseline, runs)} | ` +
          `${row.ratio === undefined ? '' : number(row.ratio)} | ` +
          `${row.target ? `${row.target.text} ${row.target.met ? 'met' : '**not met**'}` : ''} |`,
      ),
  ];
  const rss = Object.entries(results.peakRssMiB)
    .map(
      ([name, mib]) =>
        `${name} ${mib === null ? '?' : `${Math.round(mib)} MiB`}${mib !== null && mib >= 300 ? ' (**over 300**)' : ''}`,
    )
    .join(', ');
  lines.push('', `Peak RSS: ${rss}.`);
  lines.push(
    results.violations.length ? `Violations: ${results.violations.join('; ')}.` : 'Violations: none.',
  );
  return lines.join('\n');
}

/** Whether the scenario of a row ("S1 sold-out storm") ran: one left out by `--only` has no row. */
function ran(results: BenchResults, scenario: string): boolean {
  return (results.options.scenarios ?? SCENARIOS).includes(scenario.slice(0, 2).toLowerCase() as Scenario);
}

/** With --against: each headline figure now and at the other commit, in the same run, and the ratio. */
export function renderAgainstTable(results: BenchResults): string {
  if (!results.against) return '';
  const then = results.against.name;
  const runs = results.options.runs;
  const rows: Array<
    [string, string, PerSystem<RunFigures>, (run: RunFigures) => number | undefined, 'higher' | 'lower']
  > = [
    ['S1 sold-out storm', 'req/s', results.s1, (r) => r.requestsPerSecond, 'higher'],
    ['S1 sold-out storm', 'p99 ms', results.s1, (r) => r.p99Ms, 'lower'],
    [
      'S2 accepted orders',
      'accepted/s',
      results.s2,
      (r) => (r as AcceptedFigures).acceptedPerSecond,
      'higher',
    ],
    [
      'S2 accepted orders',
      'confirmed/s in the storm',
      results.s2,
      (r) => (r as AcceptedFigures).confirmedPerSecond,
      'higher',
    ],
    ['S2 accepted orders', 'p99 ms', results.s2, (r) => r.p99Ms, 'lower'],
    ['S3 open model', 'p99 ms', results.s3, (r) => r.p99Ms, 'lower'],
    [
      'S3 open model',
      'time to CONFIRMED p99 ms',
      results.s3,
      (r) => (r as ArrivalFigures).timeToConfirmedP99Ms,
      'lower',
    ],
  ];
  const lines = [
    `| scenario | figure | ${then}, median (min–max) | Boxoffice now | now ÷ then |`,
    `| --- | --- | --- | --- | --- |`,
    ...rows
      .filter(([scenario]) => ran(results, scenario))
      .map(([scenario, figure, runsOf, pick, better]) => {
        const before = spreadOf((runsOf[then] ?? []).map(pick));
        const after = spreadOf((runsOf.Boxoffice ?? []).map(pick));
        const ratio = after.median / before.median;
        return `| ${scenario} | ${figure} (${better} is better) | ${spread(before, runs)} | ${spread(after, runs)} | ${number(ratio)} |`;
      }),
  ];
  return lines.join('\n');
}

const COST_OF: Record<Scenario, string> = {
  s1: 'S1 sold-out storm',
  s2: 'S2 accepted orders',
  s3: 'S3 open model',
  s4: 'S4 waiting room',
};
const COST_FIGURES = ['sql', 'transactions', 'redis', 'http', 'amqp', 'roundTrips', 'cpuMs'] as const;

export interface CostRow {
  scenario: string;
  system: string;
  /** A process's name, or `all` of the system's together. */
  process: string;
  per: string;
  /** Each figure per request or accepted order, the median over the runs. */
  median: UnitCost;
}

/** Per scenario run, system and process: what a request (S1) or an accepted order (S2, S3, S4) cost it. */
export function costRowsOf(results: BenchResults): CostRow[] {
  const systems = ['Boxoffice', 'baseline', ...(results.against ? [results.against.name] : [])];
  const rows: CostRow[] = [];
  for (const scenario of results.options.scenarios ?? SCENARIOS) {
    const bySystem = (results[scenario] ?? {}) as PerSystem<RunFigures>;
    for (const system of systems) {
      const costs = (bySystem[system] ?? []).flatMap((run) => (run.cost ? [run.cost] : []));
      const perRun = costs.flatMap((cost) => {
        const unit = perUnit(cost);
        return unit ? [unit] : [];
      });
      for (const process of [...new Set(perRun.flatMap((run) => Object.keys(run)))]) {
        const median = Object.fromEntries(
          COST_FIGURES.map((key) => [key, spreadOf(perRun.map((run) => run[process]?.[key])).median]),
        ) as unknown as UnitCost;
        rows.push({ scenario: COST_OF[scenario], system, process, per: costs[0].per, median });
      }
    }
  }
  return rows;
}

/** The cost table under the bench's table: each process's asks of others and CPU per request or order. */
export function renderCostTable(results: BenchResults): string {
  const rows = costRowsOf(results);
  if (!rows.length) return '';
  return [
    'Cost per request (S1) or accepted order (S2, S3, S4), median of the runs, from the first request to the last ' +
      'order ended; round trips = SQL + Redis + HTTP + AMQP:',
    '',
    `| scenario | system | process | per | SQL statements | transactions | Redis commands | HTTP requests | AMQP publishes | round trips | CPU ms |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    ...rows.map(
      (row) =>
        `| ${row.scenario} | ${row.system} | ${row.process} | ${row.per} | ` +
        `${COST_FIGURES.map((key) => number(row.median[key])).join(' | ')} |`,
    ),
  ].join('\n');
}

/** With --against: each Boxoffice process's cost then and now. */
export function renderCostAgainstTable(results: BenchResults): string {
  if (!results.against) return '';
  const rows = costRowsOf(results);
  const then = new Map(
    rows
      .filter((row) => row.system === results.against?.name)
      .map((row) => [`${row.scenario}/${row.process}`, row.median]),
  );
  const now = rows.filter((row) => row.system === 'Boxoffice' && then.has(`${row.scenario}/${row.process}`));
  if (!now.length) return '';
  const change = (before: number, after: number) => `${number(before)} → ${number(after)}`;
  return [
    `| scenario | process | per | SQL statements, then → now | round trips, then → now | CPU ms, then → now | CPU now ÷ then |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    ...now.map((row) => {
      const before = then.get(`${row.scenario}/${row.process}`)!;
      return (
        `| ${row.scenario} | ${row.process} | ${row.per} | ${change(before.sql, row.median.sql)} | ` +
        `${change(before.roundTrips, row.median.roundTrips)} | ${change(before.cpuMs, row.median.cpuMs)} | ` +
        `${number(row.median.cpuMs / before.cpuMs)} |`
      );
    }),
  ].join('\n');
}

/** The chart's panels: S1 req/s, S2 accepted/s (and Boxoffice's confirmed/s), S3 p99. */
export function chartPanels(results: BenchResults): ChartPanel[] {
  const bars = <T>(runs: PerSystem<T>, pick: (run: T) => number | undefined) =>
    ['Boxoffice', 'baseline', ...(results.against ? [results.against.name] : [])].map((name) => ({
      name,
      ...spreadOf((runs[name] ?? []).map(pick)),
    }));
  return [
    {
      title: 'S1 sold-out storm',
      unit: 'req/s',
      better: 'higher',
      bars: bars(results.s1, (r) => r.requestsPerSecond),
    },
    {
      title: 'S2 accepted orders',
      unit: 'accepted/s',
      better: 'higher',
      bars: bars(results.s2, (r) => r.acceptedPerSecond),
    },
    {
      title: 'S2 saga',
      unit: 'confirmed/s',
      better: 'higher',
      bars: [{ name: 'Boxoffice', ...spreadOf(results.s2.Boxoffice.map((r) => r.confirmedPerSecond)) }],
    },
    {
      title: `S3 at ${results.s3Rate.toFixed(0)} req/s`,
      unit: 'p99 ms',
      better: 'lower',
      bars: bars(results.s3, (r) => r.p99Ms),
    },
  ];
}

const START = '<!-- bench:latest:start -->';
const END = '<!-- bench:latest:end -->';

/** bench/results/<date>-<commit>.json, bench/results/latest.svg, and the table between the README's markers. */
export function writeResults(results: BenchResults, benchDir: string): string {
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  const file = join(benchDir, 'results', `${results.date}-${results.commit}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const subtitle = `${results.date}, ${results.commit}, ${results.machine.cpus} cores; median of ${results.options.runs} runs, whiskers min–max`;
  writeFileSync(
    join(benchDir, 'results', 'latest.svg'),
    renderChart('Boxoffice and the baseline', subtitle, chartPanels(results)),
  );
  const readme = join(benchDir, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const [before, rest] = text.split(START);
  const after = rest?.split(END)[1];
  if (after === undefined) throw new Error(`${readme} has no ${START} ... ${END} section`);
  const section = [
    START,
    `Run of ${results.date} on ${results.commit} (${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}); ` +
      `JSON: [results/${results.date}-${results.commit}.json](results/${results.date}-${results.commit}.json).`,
    '',
    renderTable(results),
    '',
    ...(renderCostTable(results) ? [renderCostTable(results), ''] : []),
    ...(results.against
      ? [
          `The same run against ${results.against.name} (\`--against ${results.against.ref}\`):`,
          '',
          renderAgainstTable(results),
          '',
          ...(renderCostAgainstTable(results) ? [renderCostAgainstTable(results), ''] : []),
        ]
      : []),
    '![Boxoffice and the baseline, latest run](results/latest.svg)',
    END,
  ].join('\n');
  writeFileSync(readme, `${before}${section}${after}`);
  // In the repository's own style (a short array on one line, say), so that `npm run lint` passes on what it wrote.
  execFileSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', readme, file], {
    stdio: 'ignore',
  });
  return file;
}
