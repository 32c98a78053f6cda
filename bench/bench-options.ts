import { parseArgs } from 'node:util';

/** The size of each scenario; `--quick` shrinks them so that CI runs the whole bench in under two minutes. */
export interface BenchOptions {
  quick: boolean;
  /** Measured runs of each scenario on each system, after the warm-up. */
  runs: number;
  warmUp: boolean;
  concurrency: number;
  s1: { stock: number; requests: number };
  /** S1's buyers each with an Idempotency-Key (the default), or none (`--no-keys`). */
  s1Keys: boolean;
  s2: { requests: number };
  s3: { seconds: number };
  /** Write bench/results/<date>-<commit>.json, the chart and the README table. */
  write: boolean;
  /** A folder for one CPU profile per Boxoffice service (node --cpu-prof), or null. */
  profileDir: string | null;
  /** A git ref whose build runs beside this one in the same run (before/after a change), or null. */
  against: string | null;
  /** The scenarios run (`--only s1,s2`): all three unless told. S3 needs S2, whose throughput sets its rate. */
  scenarios: Scenario[];
}

export type Scenario = 's1' | 's2' | 's3';
export const SCENARIOS: Scenario[] = ['s1', 's2', 's3'];

export type ParsedBenchOptions = { ok: true; options: BenchOptions } | { ok: false; errors: string[] };

const FULL = { runs: 3, s1: { stock: 100, requests: 20_000 }, s2: { requests: 3_000 }, s3: { seconds: 30 } };
const QUICK = { runs: 1, s1: { stock: 100, requests: 3_000 }, s2: { requests: 300 }, s3: { seconds: 5 } };

/**
 * `[--quick] [--runs n] [--concurrency n] [--no-write] [--profile dir] [--against ref] [--only s1,s2,s3] [--no-keys]`; bad values
 * all at once.
 */
export function parseBenchOptions(args: string[]): ParsedBenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        concurrency: { type: 'string' },
        'no-write': { type: 'boolean', default: false },
        profile: { type: 'string' },
        against: { type: 'string' },
        only: { type: 'string' },
        'no-keys': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  const quick = values.quick === true;
  const sizes = quick ? QUICK : FULL;
  const errors: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      errors.push(`--${name} must be an integer in ${min}..${max}, got ${String(raw)}`);
    return value;
  };
  const scenarios = values.only === undefined ? SCENARIOS : String(values.only).split(',');
  const unknown = scenarios.filter((name) => !SCENARIOS.includes(name as Scenario));
  if (unknown.length) errors.push(`--only takes s1, s2 and s3, got ${unknown.join(', ')}`);
  else if (scenarios.includes('s3') && !scenarios.includes('s2'))
    errors.push('--only s3 needs s2 too: S3 runs at half of S2 accepted/s');
  const options: BenchOptions = {
    quick,
    runs: integer('runs', sizes.runs, 1, 20),
    warmUp: !quick,
    concurrency: integer('concurrency', 100, 1, 1000),
    s1: sizes.s1,
    s1Keys: values['no-keys'] !== true,
    s2: sizes.s2,
    s3: sizes.s3,
    // A quick run's figures are too small to stand for the machine, a partial one leaves rows out, one without keys
    // is another S1: none publishes.
    write:
      !quick &&
      values['no-write'] !== true &&
      values['no-keys'] !== true &&
      SCENARIOS.every((name) => scenarios.includes(name)),
    profileDir: (values.profile as string | undefined) ?? null,
    against: (values.against as string | undefined) ?? null,
    scenarios: SCENARIOS.filter((name) => scenarios.includes(name)),
  };
  return errors.length ? { ok: false, errors } : { ok: true, options };
}
