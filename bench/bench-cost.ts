// What an order costs each process: the counts of bench/cost-counters.cjs (preloaded into every process the bench
// measures) before and after a run, divided by the run's orders (S1: its requests).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@boxoffice/testing/eventually';

/** What a process asked of others, and its CPU time, since it started (a snapshot) or over a run (a difference). */
export interface ProcessCost {
  /** SQL statements (pg), of which `transactions` began one. */
  sql: number;
  transactions: number;
  /** Redis commands (ioredis), HTTP requests sent (undici, fetch, node:http), AMQP messages published (amqplib). */
  redis: number;
  http: number;
  amqp: number;
  /** User and system CPU time, ms. */
  cpuMs: number;
}

/** A system's processes by name ('order', 'baseline'). */
export type CostSnapshot = Record<string, ProcessCost>;

/** What a measured run cost, process by process, and what it is divided by. */
export interface RunCost {
  per: 'request' | 'accepted order';
  /** The requests answered (S1) or the orders accepted (S2, S3) in the run. */
  units: number;
  processes: Record<string, ProcessCost>;
}

/** The figures of the cost table: per request or per order, round trips = SQL + Redis + HTTP + AMQP. */
export interface UnitCost extends ProcessCost {
  roundTrips: number;
}

const KEYS = ['sql', 'transactions', 'redis', 'http', 'amqp', 'cpuMs'] as const;
/** A ProcessCost whose every figure is `figure(key)`. */
const costOf = (figure: (key: (typeof KEYS)[number]) => number): ProcessCost =>
  Object.fromEntries(KEYS.map((key) => [key, figure(key)])) as unknown as ProcessCost;

/** Each process's counts from `before` to `after`; a process missing from either (dead, not measured) is left out. */
export function costBetween(
  before: CostSnapshot,
  after: CostSnapshot,
  units: number,
  per: RunCost['per'],
): RunCost {
  const processes: Record<string, ProcessCost> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (start) processes[name] = costOf((key) => end[key] - start[key]);
  }
  return { per, units, processes };
}

/** A run's cost per unit, process by process, and `all` of them together; null for a run with no unit. */
export function perUnit(cost: RunCost): Record<string, UnitCost> | null {
  if (!cost.units) return null;
  const names = Object.keys(cost.processes).sort();
  if (!names.length) return null;
  const total = costOf((key) => names.reduce((sum, name) => sum + cost.processes[name][key], 0));
  const unit = (process: ProcessCost): UnitCost => {
    const divided = costOf((key) => process[key] / cost.units);
    return { ...divided, roundTrips: divided.sql + divided.redis + divided.http + divided.amqp };
  };
  const result: Record<string, UnitCost> = {};
  for (const name of names) result[name] = unit(cost.processes[name]);
  if (names.length > 1) result.all = unit(total);
  return result;
}

/**
 * Where the processes of one bench write their counts, and how to ask them: SIGUSR2, then the file
 * `<dir>/<pid>.json` appears (written whole).
 */
export interface CostProbe {
  /** For a process's environment: BENCH_COST_DIR. */
  env: Record<string, string>;
  /** Node's flags that preload the counters: for START_NODE_ARGS or a spawn's arguments. */
  nodeArgs: string[];
  snapshot(pids: Record<string, number>): Promise<CostSnapshot>;
  remove(): void;
}

export function openCostProbe(): CostProbe {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-bench-cost-'));
  const preload = join(__dirname, 'cost-counters.cjs');
  const read = async (pid: number): Promise<ProcessCost | null> => {
    const file = join(dir, `${pid}.json`);
    rmSync(file, { force: true });
    // SIGUSR2 would kill a process without the preload: an older commit's npm start that passes no
    // START_NODE_ARGS. Such a process, and one gone, reports no cost.
    if (!commandOf(pid).includes(preload)) return null;
    process.kill(pid, 'SIGUSR2');
    await eventually(() => existsSync(file), { timeoutMs: 10_000, intervalMs: 10, what: `${file} written` });
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessCost;
  };
  return {
    env: { BENCH_COST_DIR: dir },
    nodeArgs: ['-r', preload],
    snapshot: async (pids) => {
      const entries = await Promise.all(
        Object.entries(pids).map(async ([name, pid]) => [name, await read(pid)] as const),
      );
      return Object.fromEntries(entries.filter(([, cost]) => cost)) as CostSnapshot;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
