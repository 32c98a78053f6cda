// `npm run bench [-- --quick] [--runs n] [--concurrency n] [--no-write] [--profile dir] [--against ref] [--only s1,s2]
// [--admit-per-second n|auto]`: Boxoffice (npm start, its defaults) and the hand-written baseline (bench/baseline/)
// side by side, in a corner of the local servers of their own; each scenario on each system in turn (S4, the waiting
// room, on this Boxoffice alone), after a warm-up, `runs` times. Writes bench/results/<date>-<commit>.json, the
// chart and the README table (not with --quick). Exit 0; 1 on a violation or a dead process; 2 on a usage error.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { TestCorner } from '@boxoffice/testing/test-corner';
import { parseBenchOptions, ROOM_OVERSUBSCRIPTION, type BenchOptions, type Scenario } from './bench-options';
import { openCostProbe } from './bench-cost';
import {
  renderAgainstTable,
  renderCostAgainstTable,
  renderCostTable,
  renderTable,
  spreadOf,
  writeResults,
  type BenchResults,
} from './bench-report';
import {
  acceptedOrders,
  openArrivals,
  roomSale,
  soldOutStorm,
  type RoomFigures,
  type RunFigures,
} from './bench-scenarios';
import { startBaseline, startBoxoffice, type BenchSystem } from './bench-systems';
import { checkoutAt } from './bench-worktree';
import { peakRssMiB } from './process-memory';

const AGAINST_POOL_SIZE = 10;
let sales = 0;
const newEventId = (scenario: string, system: BenchSystem) =>
  `bench-${scenario}-${system.name.toLowerCase().replace(/[^a-z0-9_.:-]/g, '-')}-${++sales}`;

const say = (text: string) => process.stdout.write(`${text}\n`);
const brief = (run: RunFigures) =>
  `${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${run.p50Ms.toFixed(1)} ms  p99 ${run.p99Ms.toFixed(1)} ms  ` +
  `${JSON.stringify(run.statuses)}${'roomP50Ms' in run ? roomBrief(run as RoomFigures) : ''}` +
  `${run.violations.length ? `  VIOLATIONS: ${run.violations.join('; ')}` : ''}`;
const roomBrief = (run: RoomFigures) =>
  `  room p50 ${(run.roomP50Ms / 1000).toFixed(1)} s p99 ${(run.roomP99Ms / 1000).toFixed(1)} s  ` +
  `${run.acceptedPerSecond.toFixed(0)} accepted/s  ${run.endedPerSecond.toFixed(0)} ended/s  ` +
  `late backlog max ${run.lateBacklogMax}  503s ${run.overloaded}  ${run.polls} polls  ` +
  `told sold out ${run.toldSoldOut ?? 0}${toldBrief(run.toldAfterSellOutP99Ms, run.toldAfterSellOutMaxMs)}`;
/** NaN or absent: nobody waiting was told, or the sale did not sell out; nothing to say. */
const toldBrief = (p99Ms = NaN, maxMs = NaN) =>
  Number.isFinite(maxMs)
    ? ` (p99 ${(p99Ms / 1000).toFixed(1)} s, max ${(maxMs / 1000).toFixed(1)} s after the sell-out)`
    : '';

/** Each run gives every system its turn, a different one first each time, so that none always follows the other. */
async function inTurns<T extends RunFigures>(
  systems: BenchSystem[],
  runs: number,
  label: string,
  scenario: (system: BenchSystem) => Promise<T>,
): Promise<Record<string, T[]>> {
  const results: Record<string, T[]> = Object.fromEntries(systems.map((system) => [system.name, []]));
  for (let run = 0; run < runs; run++) {
    for (const system of systems.map((_, i) => systems[(i + run) % systems.length])) {
      const figures = await scenario(system);
      results[system.name].push(figures);
      say(`${label} run ${run + 1} ${system.name.padEnd(9)} ${brief(figures)}`);
      if (!system.alive()) figures.violations.push(`${system.name} died during ${label}`);
    }
  }
  return results;
}

async function bench(options: BenchOptions): Promise<BenchResults> {
  // Taken now: the code measured is what npm start builds from the tree as it is at the start.
  const commit = commitOf();
  say('starting Boxoffice (npm start) and the baseline...');
  // Two stacks of three 20-connection pools and the baseline's would pass Postgres's 100 connections: with
  // --against every pool has 10.
  const poolSize = options.against ? AGAINST_POOL_SIZE : undefined;
  // Every process counts its SQL statements, Redis commands, HTTP requests and publishes, for the cost table.
  const probe = openCostProbe();
  const boxoffice = await startBoxoffice('bench', { profileDir: options.profileDir, poolSize, probe });
  const checkout = options.against ? checkoutAt(options.against, join(__dirname, '..')) : null;
  let then: (BenchSystem & { corner: TestCorner }) | null = null;
  // Taken while they run: node writes a profile named by pid as its process exits.
  const profiled = boxoffice.pids();
  try {
    const baseline = await startBaseline(boxoffice.corner, poolSize, probe);
    if (checkout) {
      say(
        `starting Boxoffice at ${checkout.commit} (npm start in ${checkout.root}); every pool ${AGAINST_POOL_SIZE}...`,
      );
      then = await startBoxoffice('benchat', { at: checkout, poolSize, probe });
    }
    const systems = [boxoffice, baseline, ...(then ? [then] : [])];
    const { concurrency } = options;
    const s1 = (system: BenchSystem, requests = options.s1.requests) =>
      soldOutStorm(system, {
        eventId: newEventId('s1', system),
        stock: options.s1.stock,
        requests,
        concurrency,
        keys: options.s1Keys,
      });
    const s2 = (system: BenchSystem, requests = options.s2.requests) =>
      acceptedOrders(system, { eventId: newEventId('s2', system), requests, concurrency });
    // A scenario left out by --only runs no time: its rows stay empty.
    const wanted = (scenario: Scenario, runs: number) => (options.scenarios.includes(scenario) ? runs : 0);
    if (options.warmUp) {
      // JIT, connection pools, prepared plans: the first thousands of requests are not the machine's pace.
      await inTurns(systems, wanted('s1', 1), 'warm-up S1', (system) => s1(system, 5_000));
      await inTurns(systems, wanted('s2', 1), 'warm-up S2', (system) => s2(system, 500));
    }
    // The baseline has no room, and another commit's build may have none: this build alone.
    const s4 = (system: BenchSystem, tickets = options.s4.tickets) =>
      roomSale(system, {
        eventId: newEventId('s4', system),
        tickets,
        buyers: tickets * ROOM_OVERSUBSCRIPTION,
        admitPerSecond: options.s4.admitPerSecond,
      });
    if (options.warmUp) await inTurns([boxoffice], wanted('s4', 1), 'warm-up S4', (system) => s4(system, 25));
    const runs = options.runs;
    const s1Runs = await inTurns(systems, wanted('s1', runs), 'S1', (system) => s1(system));
    const s2Runs = await inTurns(systems, wanted('s2', runs), 'S2', (system) => s2(system));
    const s3Rate = Math.max(1, spreadOf(s2Runs.Boxoffice.map((run) => run.acceptedPerSecond)).median / 2);
    const s3Runs = await inTurns(systems, wanted('s3', runs), `S3 (${s3Rate.toFixed(0)} req/s)`, (system) =>
      openArrivals(system, { eventId: newEventId('s3', system), rate: s3Rate, seconds: options.s3.seconds }),
    );
    const s4Runs = await inTurns(
      [boxoffice],
      wanted('s4', runs),
      `S4 (${options.s4.buyers} buyers for ${options.s4.tickets}, ${options.s4.admitPerSecond}/s)`,
      (system) => s4(system),
    );
    const peakRss: Record<string, number | null> = {};
    for (const system of systems)
      for (const [name, pid] of Object.entries(system.pids()))
        peakRss[system === then ? `${name}@${then.name.split('@')[1]}` : name] = peakRssMiB(pid);
    const all = [s1Runs, s2Runs, s3Runs, s4Runs].flatMap((bySystem) => Object.values(bySystem).flat());
    const violations = [...new Set(all.flatMap((run) => run.violations))];
    for (const system of systems)
      if (!system.alive()) violations.push(`${system.name} is not running at the end`);
    return {
      date: new Date().toISOString().slice(0, 10),
      commit,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? '?',
        node: process.version,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
      },
      options,
      s1: s1Runs,
      s2: s2Runs,
      s3Rate,
      s3: s3Runs,
      s4: s4Runs,
      ...(then && options.against && { against: { name: then.name, ref: options.against } }),
      peakRssMiB: peakRss,
      violations,
    };
  } finally {
    await then?.corner.dispose();
    await boxoffice.corner.dispose();
    if (options.profileDir) nameProfiles(options.profileDir, profiled);
    checkout?.remove();
    probe.remove();
  }
}

/** `CPU.<date>.<time>.<pid>.….cpuprofile` becomes `<service>.CPU.….cpuprofile`. */
function nameProfiles(dir: string, pids: Record<string, number>): void {
  const byPid = new Map(Object.entries(pids).map(([name, pid]) => [String(pid), name]));
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    const service = byPid.get(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1] ?? '');
    if (service) renameSync(join(dir, file), join(dir, `${service}.${file}`));
  }
}

/** The short commit, marked -dirty when the working tree has changes: figures belong to the code they measured. */
function commitOf(): string {
  const git = (command: string) => execSync(`git ${command}`, { cwd: __dirname, encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse --short HEAD')}${git('status --porcelain') ? '-dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.errors.join('\n')}\n`);
    return 2;
  }
  const results = await bench(parsed.options);
  say(`\n${renderTable(results)}`);
  say(`\n${renderCostTable(results)}`);
  if (results.against) say(`\n${renderAgainstTable(results)}\n\n${renderCostAgainstTable(results)}`);
  if (parsed.options.write)
    say(`\nwrote ${writeResults(results, __dirname)}, results/latest.svg and README.md`);
  return results.violations.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
