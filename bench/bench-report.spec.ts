import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './bench-options';
import type { RunCost } from './bench-cost';
import {
  costRowsOf,
  renderAgainstTable,
  renderCostAgainstTable,
  renderCostTable,
  renderTable,
  rowsOf,
  spreadOf,
  writeResults,
  type BenchResults,
} from './bench-report';
import type { AcceptedFigures, ArrivalFigures, RoomFigures, RunFigures } from './bench-scenarios';

const run = (requestsPerSecond: number, p99Ms = 10): RunFigures => ({
  requests: 1000,
  seconds: 1000 / requestsPerSecond,
  requestsPerSecond,
  p50Ms: p99Ms / 2,
  p99Ms,
  statuses: { '202': 100, '409': 900 },
  accepted: 100,
  violations: [],
});
const accepted = (acceptedPerSecond: number, confirmedPerSecond?: number): AcceptedFigures => ({
  ...run(acceptedPerSecond),
  acceptedPerSecond,
  confirmedPerSecond,
});
/** A run of `units` accepted orders whose processes made these calls (the rest 0). */
const s2Cost = (
  units: number,
  processes: Record<string, Partial<RunCost['processes'][string]>>,
): RunCost => ({
  per: 'accepted order',
  units,
  processes: Object.fromEntries(
    Object.entries(processes).map(([name, counts]) => [
      name,
      { sql: 0, transactions: 0, redis: 0, http: 0, amqp: 0, cpuMs: 0, ...counts },
    ]),
  ),
});
const arrivals = (p99Ms: number): ArrivalFigures => ({ ...run(50, p99Ms), rate: 50 });
/** A waiting-room run: 100 tickets, 2,000 buyers let in at 50/s, the sale ended in `sellOutSeconds`. */
const room = (sellOutSeconds: number, lateBacklogMax = 0): RoomFigures => ({
  ...run(400, 80),
  tickets: 100,
  buyers: 2000,
  admitPerSecond: 50,
  admitted: 2000,
  roomP50Ms: 20_000,
  roomP99Ms: 39_000,
  roomMaxMs: 40_000,
  acceptedPerSecond: 45,
  endedPerSecond: 100 / sellOutSeconds,
  sellOutSeconds,
  lateBacklogMax,
  overloaded: 0,
  polls: 9000,
  toldSoldOut: 1900,
  toldAfterSellOutP99Ms: 12_000,
  toldAfterSellOutMaxMs: 28_000,
});

/** A waiting-room run of before the room knew its sale's stock: no figure of who was told sold out. */
const beforeTold = (run: RoomFigures): RoomFigures => {
  const older = { ...run };
  delete older.toldSoldOut;
  delete older.toldAfterSellOutP99Ms;
  delete older.toldAfterSellOutMaxMs;
  return older;
};

/** Boxoffice at 0.5x the baseline in S1, 0.7x in S2 with a saga at 0.9x, S3 p99 3x: two targets met, two not. */
function results(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    date: '2026-12-01',
    commit: 'abc1234',
    machine: { cpus: 2, cpuModel: 'test cpu', node: 'v20.19.0', memoryGiB: 24 },
    options: { runs: 3 } as BenchOptions,
    s1: { Boxoffice: [run(400), run(500), run(600)], baseline: [run(900), run(1000), run(1100)] },
    s2: {
      Boxoffice: [accepted(60, 54), accepted(70, 63), accepted(80, 72)],
      baseline: [accepted(100), accepted(100), accepted(100)],
    },
    s3Rate: 35,
    s3: {
      Boxoffice: [arrivals(30), arrivals(30), arrivals(31)],
      baseline: [arrivals(9), arrivals(10), arrivals(11)],
    },
    peakRssMiB: { order: 120.4, inventory: 310, baseline: 60 },
    violations: [],
    ...overrides,
  };
}

describe('npm run bench: its report', () => {
  it('given runs in any order, when spread, then the median is the middle run and the range spans them', () => {
    expect(spreadOf([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 });
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spreadOf([undefined, NaN])).toEqual({ median: NaN, min: NaN, max: NaN });
  });

  it('given only S1 was run (--only s1), when the table is rendered, then it has S1 rows and no others', () => {
    // given
    const onlyS1 = results({
      options: { runs: 3, scenarios: ['s1'] } as BenchOptions,
      s2: { Boxoffice: [], baseline: [] },
      s3Rate: NaN,
      s3: { Boxoffice: [], baseline: [] },
    });

    // when
    const table = renderTable(onlyS1);

    // then
    const rows = table.split('\n').filter((line) => line.startsWith('| S'));
    expect(rows.map((row) => row.split(' | ')[0])).toEqual(['| S1 sold-out storm', '| S1 sold-out storm']);
  });

  it('given waiting-room runs beside S2, when the rows are made, then its figures are absolute, compared to the admission rate and to S2, and the saga is judged behind when one run was', () => {
    // given: S2 ended its 100 orders 2 s after 1 s of storm (33.3 a second); the room's runs ended theirs in 2-4 s
    const s2 = { ...accepted(70, 63), drainSeconds: 2, seconds: 1 };
    const withRoom = results({
      options: { runs: 3, scenarios: ['s2', 's4'] } as BenchOptions,
      s2: { Boxoffice: [s2, s2, s2], baseline: [] },
      s4: { Boxoffice: [room(2), { ...room(2.5), toldAfterSellOutMaxMs: 30_000 }, beforeTold(room(4, 3))] },
    });

    // when
    const rows = rowsOf(withRoom).filter((row) => row.scenario.startsWith('S4'));

    // then
    expect(rows[0].scenario).toBe('S4 waiting room, 2000 buyers, 50/s');
    expect(rows.map((row) => [row.figure, row.boxoffice.median, row.ratio, row.target?.met])).toEqual([
      ['time in the room p50 s', 20, undefined, undefined],
      ['time in the room p99 s', 39, undefined, undefined],
      ['accepted/s (ratio: to the admission rate)', 45, 0.9, undefined],
      ["orders ended/s, first arrival to last order ended (ratio: to S2's)", 40, 1.2, undefined],
      ['seconds to sell out (to the last order ended)', 2.5, undefined, undefined],
      ['late saga backlog, most sampled', 0, undefined, false],
      ['503 OVERLOADED answers', 0, undefined, true],
      ['POST /orders p99 ms, from admission', 80, undefined, undefined],
      ['polls per buyer', 4.5, undefined, undefined],
      // The run before the room knew its sale's stock has none of these: the median of the two that have.
      ['buyers told sold out', 1900, undefined, undefined],
      ['told sold out p99 s, after the sell-out', 12, undefined, undefined],
      ['told sold out max s, after the sell-out', 29, undefined, undefined],
    ]);
    expect(rowsOf(results()).some((row) => row.scenario.startsWith('S4'))).toBe(false);
  });

  it('given Boxoffice and the baseline, when the rows are made, then each target is judged on the ratio of medians', () => {
    // when
    const rows = rowsOf(results());

    // then
    const judged = rows.filter((row) => row.target).map((row) => [row.figure, row.ratio, row.target?.met]);
    expect(judged).toEqual([
      ['req/s', 0.5, false],
      ['accepted/s', 0.7, true],
      ['confirmed/s in the storm (ratio: to accepted/s)', 0.9, true],
      ['p99 ms', 3, false],
    ]);
  });

  it('given a run, when the table is rendered, then it shows medians with their range, unmet targets, RSS over 300 and violations', () => {
    // when
    const table = renderTable(results({ violations: ['OVERSOLD (101 confirmed of 100)'] }));

    // then
    expect(table).toContain(
      '| S1 sold-out storm | req/s | 500 (400–600) | 1,000 (900–1,100) | 0.50 | >= 0.8 **not met** |',
    );
    expect(table).toContain(
      '| S3 open model, 35 req/s | p99 ms | 30.0 (30.0–31.0) | 10.0 (9.00–11.0) | 3.00 | <= 2 **not met** |',
    );
    expect(table).toContain('Peak RSS: order 120 MiB, inventory 310 MiB (**over 300**), baseline 60 MiB.');
    expect(table).toContain('Violations: OVERSOLD (101 confirmed of 100).');
  });

  it('given a run against another commit, when its table is rendered, then each figure is shown then and now with now ÷ then', () => {
    // given
    const run3 = results();
    const withThen: BenchResults = {
      ...run3,
      against: { name: 'Boxoffice@03c2d5f', ref: 'HEAD~3' },
      s1: { ...run3.s1, 'Boxoffice@03c2d5f': [run(100), run(125), run(150)] },
      s2: { ...run3.s2, 'Boxoffice@03c2d5f': [accepted(35, 28), accepted(35, 28), accepted(35, 28)] },
      s3: { ...run3.s3, 'Boxoffice@03c2d5f': [arrivals(60), arrivals(60), arrivals(60)] },
    };

    // when
    const table = renderAgainstTable(withThen);

    // then
    expect(table).toContain(
      '| S1 sold-out storm | req/s (higher is better) | 125 (100–150) | 500 (400–600) | 4.00 |',
    );
    expect(table).toContain(
      '| S2 accepted orders | accepted/s (higher is better) | 35.0 | 70.0 (60.0–80.0) | 2.00 |',
    );
    expect(table).toContain('| S3 open model | p99 ms (lower is better) | 60.0 | 30.0 (30.0–31.0) | 0.50 |');
    expect(renderAgainstTable(run3)).toBe('');
  });

  it('given runs with their cost, when the cost rows are made, then each figure per order is the median of the runs, for each process and all together', () => {
    // given: S2's three runs of 100 orders on Boxoffice; order's SQL 10, 12 and 20 an order
    const withCost = results({ options: { runs: 3, scenarios: ['s2'] } as BenchOptions });
    withCost.s2.Boxoffice = [10, 12, 20].map((sql) => ({
      ...accepted(70, 63),
      cost: s2Cost(100, {
        order: { sql: sql * 100, cpuMs: 600 },
        inventory: { sql: 600, redis: 200, cpuMs: 400 },
      }),
    }));

    // when
    const rows = costRowsOf(withCost);

    // then
    expect(
      rows.map((row) => [row.system, row.process, row.median.sql, row.median.roundTrips, row.median.cpuMs]),
    ).toEqual([
      ['Boxoffice', 'inventory', 6, 8, 4],
      ['Boxoffice', 'order', 12, 12, 6],
      ['Boxoffice', 'all', 18, 20, 10],
    ]);
    expect(rows[0]).toMatchObject({ scenario: 'S2 accepted orders', per: 'accepted order' });
  });

  it('given runs with their cost, when the cost table is rendered, then it has a row per system and process; without cost, no table', () => {
    // given
    const withCost = results({ options: { runs: 3, scenarios: ['s1', 's2'] } as BenchOptions });
    withCost.s2.baseline = [accepted(100), accepted(100)].map((run) => ({
      ...run,
      cost: s2Cost(100, { baseline: { sql: 400, transactions: 100, redis: 100, cpuMs: 120 } }),
    }));

    // when
    const table = renderCostTable(withCost);

    // then
    expect(table).toContain(
      '| S2 accepted orders | baseline | baseline | accepted order | 4.00 | 1.00 | 1.00 | 0.00 | 0.00 | 5.00 | 1.20 |',
    );
    expect(table.split('\n').filter((line) => line.startsWith('| S'))).toHaveLength(1);
    expect(renderCostTable(results())).toBe('');
  });

  it('given a run against another commit with cost, when its cost table is rendered, then each process shows SQL, round trips and CPU then → now', () => {
    // given
    const withThen: BenchResults = {
      ...results({ options: { runs: 1, scenarios: ['s2'] } as BenchOptions }),
      against: { name: 'Boxoffice@03c2d5f', ref: 'main' },
    };
    withThen.s2.Boxoffice = [{ ...accepted(70), cost: s2Cost(100, { order: { sql: 1_000, cpuMs: 300 } }) }];
    withThen.s2['Boxoffice@03c2d5f'] = [
      { ...accepted(35), cost: s2Cost(50, { order: { sql: 1_000, http: 100, cpuMs: 300 } }) },
    ];

    // when
    const table = renderCostAgainstTable(withThen);

    // then
    expect(table).toContain(
      '| S2 accepted orders | order | accepted order | 20.0 → 10.0 | 22.0 → 10.0 | 6.00 → 3.00 | 0.50 |',
    );
    expect(renderCostAgainstTable(results())).toBe('');
  });

  it('given a README with the markers, when results are written, then the JSON, the chart and the table between the markers are replaced and the rest kept', () => {
    // given
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    mkdirSync(join(dir, 'results'));
    writeFileSync(
      join(dir, 'README.md'),
      '# Before\n<!-- bench:latest:start -->\nold table\n<!-- bench:latest:end -->\n# After\n',
    );

    // when
    const run3 = results({ options: { runs: 3, scenarios: ['s1', 's2', 's3'] } as BenchOptions });
    run3.s2.baseline = [{ ...accepted(100), cost: s2Cost(100, { baseline: { sql: 400, cpuMs: 50 } }) }];
    const file = writeResults(run3, dir);

    // then
    expect(file).toBe(join(dir, 'results', '2026-12-01-abc1234.json'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ commit: 'abc1234', s3Rate: 35 });
    // In Prettier's style, as `npm run lint` checks it: a short array on one line.
    expect(readFileSync(file, 'utf8')).toContain('"scenarios": ["s1", "s2", "s3"]');
    expect(readFileSync(join(dir, 'results', 'latest.svg'), 'utf8')).toMatch(/^<svg /);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).not.toContain('old table');
    expect(readme).toMatch(/^# Before\n\s*<!-- bench:latest:start -->\s*Run of 2026-12-01 on abc1234/);
    // Prettier pads the table's cells; the figures are what matter.
    expect(readme).toMatch(
      /\| S2 accepted orders +\| accepted\/s +\| 70\.0 \(60\.0–80\.0\) +\| 100 +\| 0\.70 +\| >= 0\.6 met +\|/,
    );
    expect(readme).toMatch(/\| S2 accepted orders +\| baseline +\| baseline +\| accepted order +\| 4\.00 /);
    expect(readme).toMatch(/<!-- bench:latest:end -->\s*# After\n$/);
  });

  it('given a README without the markers, when results are written, then it says so', () => {
    // given
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    mkdirSync(join(dir, 'results'));
    writeFileSync(join(dir, 'README.md'), '# No markers\n');

    // when / then
    expect(() => writeResults(results(), dir)).toThrow(/has no <!-- bench:latest:start -->/);
  });
});
