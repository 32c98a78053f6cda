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
  /** S4: a sale of `tickets` through a waiting room admitting `admitPerSecond` (`--admit-per-second`; "auto" passed
   * to the server as it is), 20 buyers a ticket all arriving at once. */
  s4: { tickets: number; buyers: number; admitPerSecond: number | 'auto' };
  /** Write bench/results/<date>-<commit>.json, the chart and the README table. */
  write: boolean;
  /** A folder for one CPU profile per Boxoffice service (node --cpu-prof), or null. */
  profileDir: string | null;
  /** A git ref whose build runs beside this one in the same run (before/after a change), or null. */
  against: string | null;
  /** The scenarios run (`--only s1,s2`): all four unless told. S3 needs S2, whose throughput sets its rate. */
  scenarios: Scenario[];
}

export type Scenario = 's1' | 's2' | 's3' | 's4';
export const SCENARIOS: Scenario[] = ['s1', 's2', 's3', 's4'];

/** S4's buyers per ticket: the issue's 20x oversubscription. */
export const ROOM_OVERSUBSCRIPTION = 20;
/** S4's admission rate unless told: below what the saga ends on this 2-core box (300-400 orders/s), until the
 * room's "auto" follows the saga itself. */
const ROOM_ADMIT_PER_SECOND = 200;

export type ParsedBenchOptions = { ok: true; options: BenchOptions } | { ok: false; errors: string[] };

const FULL = { runs: 3, s1: { stock: 100, requests: 20_000 }, s2: { requests: 3_000 }, s3: { seconds: 30 } };
const QUICK = { runs: 1, s1: { stock: 100, requests: 3_000 }, s2: { requests: 300 }, s3: { seconds: 5 } };
/** S4's tickets: 500 (10,000 buyers, about 50 s at 200/s); quick, 25 (500 buyers, a few seconds). */
const ROOM_TICKETS = { full: 500, quick: 25 };

/**
 * `[--quick] [--runs n] [--concurrency n] [--no-write] [--profile dir] [--against ref] [--only s1,s2,s3,s4] [--no-keys]
 * [--admit-per-second n|auto]`; bad values all at once.
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
        'admit-per-second': { type: 'string' },
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
  if (unknown.length) errors.push(`--only takes s1, s2, s3 and s4, got ${unknown.join(', ')}`);
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
    s4: {
      tickets: ROOM_TICKETS[quick ? 'quick' : 'full'],
      buyers: ROOM_TICKETS[quick ? 'quick' : 'full'] * ROOM_OVERSUBSCRIPTION,
      admitPerSecond: admitRate(values['admit-per-second'] as string | undefined, errors),
    },
    // A quick run's figures are too small to stand for the machine, a partial one leaves rows out, one without keys
    // is another S1, one at another admission rate another S4: none publishes.
    write:
      !quick &&
      values['no-write'] !== true &&
      values['no-keys'] !== true &&
      values['admit-per-second'] === undefined &&
      SCENARIOS.every((name) => scenarios.includes(name)),
    profileDir: (values.profile as string | undefined) ?? null,
    against: (values.against as string | undefined) ?? null,
    scenarios: SCENARIOS.filter((name) => scenarios.includes(name)),
  };
  return errors.length ? { ok: false, errors } : { ok: true, options };
}

/** `--admit-per-second`: an integer 1-10000 (the room's bounds) or "auto", which the server judges. */
function admitRate(raw: string | undefined, errors: string[]): number | 'auto' {
  if (raw === undefined) return ROOM_ADMIT_PER_SECOND;
  if (raw === 'auto') return 'auto';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 10_000)
    errors.push(`--admit-per-second must be an integer in 1..10000 or auto, got ${raw}`);
  return value;
}
