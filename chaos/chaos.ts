// `npm run chaos -- [name...] [--json]`: each scenario on private servers, its fault mid-sale, then the audit.
// Prints one row per scenario; exit code 1 when any scenario found a violation or could not run.
import { parseArgs } from 'node:util';
import { runScenario, type ScenarioRow } from './run-scenario';
import type { Scenario } from './scenario';
import { brokerOutage } from './scenarios/broker-outage.scenario';
import { cacheStale, cacheWipe } from './scenarios/cache.scenario';
import { dbOutage, dbReadonly } from './scenarios/db-outage.scenario';
import { dlqPurge } from './scenarios/dlq-purge.scenario';
import { duplicateStorm } from './scenarios/duplicate-storm.scenario';
import { gatewayFlaky } from './scenarios/gateway-flaky.scenario';
import { messageLoss } from './scenarios/message-loss.scenario';
import { poison } from './scenarios/poison.scenario';
import { roomStorm } from './scenarios/room-storm.scenario';
import { roomTokens } from './scenarios/room-tokens.scenario';
import { roomWipe } from './scenarios/room-wipe.scenario';
import { scaleOut } from './scenarios/scale-out.scenario';
import { slowNetwork } from './scenarios/slow-network.scenario';
import { inventoryCrash, orderCrash, paymentCrash } from './scenarios/service-crash.scenario';

export const SCENARIOS: Scenario[] = [
  brokerOutage,
  paymentCrash,
  orderCrash,
  inventoryCrash,
  dbOutage,
  dbReadonly,
  cacheWipe,
  cacheStale,
  poison,
  slowNetwork,
  gatewayFlaky,
  duplicateStorm,
  scaleOut,
  messageLoss,
  dlqPurge,
  roomStorm,
  roomWipe,
  roomTokens,
];

/**
 * `--quick`, what CI runs: the six fastest here (31–34 s each), the two lost-message scenarios of issue 21
 * (message-loss, dlq-purge: 39–49 s) and the waiting room's forged and replayed tokens of issue 23 (room-tokens),
 * under 6 minutes one at a time, 195 s two at a time as CI runs them (`--parallel 2`); all eighteen take about 12
 * minutes, more than CI's 7 for this step. The others run with `npm run chaos`.
 */
export const QUICK = [
  'cache-wipe',
  'payment-crash',
  'cache-stale',
  'poison',
  'slow-network',
  'inventory-crash',
  'message-loss',
  'dlq-purge',
  'room-tokens',
];

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      parallel: { type: 'string', default: '1' },
    },
  });
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 4) {
    process.stderr.write(`--parallel: a whole number from 1 to 4, not ${values.parallel}\n`);
    return 2;
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length) {
    process.stderr.write(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  const names = values.quick ? [...QUICK, ...positionals] : positionals;
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  // Seconds since the run began on each line: where a scenario's time goes (servers, sale, fault, quiet).
  const began = Date.now();
  const log = (line: string) =>
    process.stderr.write(`[chaos ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  const stopping: Array<Promise<void>> = [];
  const run = async (scenario: Scenario): Promise<ScenarioRow> => {
    const started = Date.now();
    const row = await runScenario(scenario, log, stopping).catch((error: unknown): ScenarioRow => ({
      scenario: scenario.name,
      accepted: 0,
      confirmed: 0,
      cancelled: 0,
      refunded: 0,
      violations: [],
      recoveryMs: null,
      error: error instanceof Error ? error.message : String(error),
    }));
    log(`${scenario.name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return row;
  };
  // `parallel` scenarios at a time, each on servers of its own; the rows in the order of the list.
  const rows: ScenarioRow[] = [];
  let next = 0;
  const runner = async () => {
    for (let i = next++; i < chosen.length; i = next++) rows[i] = await run(chosen[i]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, chosen.length) }, runner));
  await Promise.all(stopping);
  process.stdout.write(`${values.json ? JSON.stringify(rows, null, 2) : table(rows)}\n`);
  return rows.some((row) => row.error || row.violations.length) ? 1 : 0;
}

function table(rows: ScenarioRow[]): string {
  const header = ['scenario', 'accepted', 'confirmed', 'cancelled', 'refunded', 'violations', 'recovery'];
  const cells = rows.map((row) => [
    row.scenario,
    String(row.accepted),
    String(row.confirmed),
    String(row.cancelled),
    String(row.refunded),
    row.error ? 'ERROR' : String(row.violations.length),
    row.recoveryMs === null ? 'never' : `${(row.recoveryMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const details = rows.flatMap((row) => [
    ...(row.error ? [`${row.scenario}: could not run: ${row.error}`] : []),
    ...row.violations.map((v) => `${row.scenario}: ${v.code} ${v.where}: ${v.detail}`),
  ]);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), '', ...details].join(
    '\n',
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
