import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '@boxoffice/testing/eventually';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import type { AuditSnapshot } from '../ops/audit/audit-snapshot';
import { findViolations, sameCounts, type Violation } from '../ops/audit/find-violations';
import { readSnapshot } from '../ops/audit/read-snapshot';
import { startBuyers, type BuyersOptions, type BuyersTally } from './buyers';
import { ChaosStack } from './chaos-stack';
import type { Scenario, ScenarioSale } from './scenario';

export interface ScenarioRow {
  scenario: string;
  accepted: number;
  confirmed: number;
  cancelled: number;
  refunded: number;
  violations: Violation[];
  /** From the end of the fault until every saga was done and every queue and outbox empty; null: never. */
  recoveryMs: number | null;
  /** The scenario itself could not run (a server would not start...). */
  error?: string;
}

/** A scenario's sale's tickets, unless it says (`Scenario.stock`). */
export const SALE_STOCK = 100;
const BUYERS: Omit<BuyersOptions, 'orderUrls' | 'eventId'> = {
  requests: 300,
  ratePerSecond: 15,
  concurrency: 16,
  declineRate: 0.1,
  users: 300,
  retries: 3,
};
const QUIET_DEADLINE_MS = 180_000;
/** Longer than the private broker's statistics interval (1 s), so a queue count read as 0 is not an old one. */
const QUIET_HOLDS_MS = 3_000;

/**
 * Private servers, services, a flash sale with the fault in the middle, then the audit: one row of the table. The
 * servers are stopped in the background (a RabbitMQ node takes seconds to stop), while the next scenario starts:
 * `stopping` gets that promise, for the caller to wait on before it exits.
 */
export async function runScenario(
  scenario: Scenario,
  log: (line: string) => void,
  stopping: Array<Promise<void>>,
): Promise<ScenarioRow> {
  const stackOptions = typeof scenario.stack === 'function' ? await scenario.stack() : scenario.stack;
  const stack = await ChaosStack.start(scenario.name, stackOptions);
  log(`${scenario.name}: servers and services up`);
  try {
    const eventId = `chaos-${scenario.name}`;
    await createSale(stack.urls('inventory')[0], eventId, scenario.stock);
    const buyers = scenario.sale
      ? await scenario.sale(stack, eventId, log)
      : runnersSale(scenario, stack, eventId);
    await eventually(() => buyers.tally.sent >= buyers.faultAfter, {
      timeoutMs: 60_000,
      what: 'sale under way',
    });
    log(`${scenario.name}: ${scenario.fault}`);
    const recover = await scenario.inject(stack, log);
    await sleep(scenario.faultMs);
    await recover();
    const recoveredAt = Date.now();
    log(`${scenario.name}: recovered; waiting until every saga is done`);
    const tally = await buyers.done;
    log(`${scenario.name}: every buyer answered`);
    const settings = stack.auditSettings();
    let recoveryMs: number | null = null;
    let snapshot: AuditSnapshot;
    const quiet = new QuietWindow(QUIET_HOLDS_MS);
    try {
      snapshot = await eventually(
        async () => {
          const read = await readSnapshot(settings, eventId);
          return quiet.holds(read) && read;
        },
        { timeoutMs: QUIET_DEADLINE_MS, intervalMs: 500, what: 'every saga done, every queue empty' },
      );
      recoveryMs = quiet.since! - recoveredAt;
    } catch {
      snapshot = await readSnapshot(settings, eventId); // never quiet: the audit says what is left
    }
    log(`${scenario.name}: ${recoveryMs === null ? 'never quiet' : 'quiet'}; auditing`);
    const violations = [
      // The runner waited for every compensation to complete: one still open by now is overdue, whatever its age.
      ...findViolations(snapshot, { compensationMaxAgeSeconds: 0 }),
      ...keptWithout202(snapshot, tally),
      ...(scenario.verify?.(snapshot) ?? []),
      ...(await buyers.verify(snapshot)),
    ];
    return rowOf(scenario.name, snapshot, violations, recoveryMs);
  } finally {
    stopping.push(
      stack.dispose().then(
        () => log(`${scenario.name}: servers and services stopped`),
        (error: unknown) => log(`${scenario.name}: could not stop everything: ${String(error)}`),
      ),
    );
  }
}

/** The flash sale of chaos/buyers.ts, its fault once a quarter of the buyers were sent. */
function runnersSale(scenario: Scenario, stack: ChaosStack, eventId: string): ScenarioSale {
  const options = { ...BUYERS, ...scenario.buyers, orderUrls: stack.urls('order'), eventId };
  return { ...startBuyers(options), faultAfter: options.requests / 4, verify: () => Promise.resolve([]) };
}

export async function createSale(inventoryUrl: string, eventId: string, stock = SALE_STOCK): Promise<void> {
  const response = await fetch(`${inventoryUrl}/events/${eventId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...AS_ADMIN },
    body: JSON.stringify({
      name: `Chaos ${eventId}`,
      totalStock: stock,
      unitPrice: 5000,
      currency: 'EUR',
      perUserLimit: 2,
    }),
  });
  if (response.status !== 201) throw new Error(`PUT sale: ${response.status} ${await response.text()}`);
}

/** Quiet, and nothing changed since the first quiet read, for at least `holdsMs`. */
export class QuietWindow {
  since: number | null = null;
  private state = '';

  constructor(private readonly holdsMs: number) {}

  holds(snapshot: AuditSnapshot): boolean {
    const state = JSON.stringify(snapshot.sales);
    if (!isQuiet(snapshot)) {
      this.since = null;
      return false;
    }
    if (this.since === null || state !== this.state) {
      this.since = Date.now();
      this.state = state;
      return false;
    }
    return Date.now() - this.since >= this.holdsMs;
  }
}

/**
 * Every order's saga done (ended, and each cancellation's compensation complete), every queue and outbox empty, and
 * Redis agreeing with the ledger: a hold Redis kept when the ledger never recorded it (a crash between the two
 * writes) is given back by the sweep once it expires.
 */
function isQuiet(snapshot: AuditSnapshot): boolean {
  const open = snapshot.sales.some((sale) => sale.orders.some((order) => order.step !== 'DONE'));
  const unsettled = snapshot.sales.some(({ gate, ledger }) => gate && !sameCounts(gate, ledger));
  const queued = snapshot.queues.some((queue) => !queue.deadLetterReasons && queue.messages !== 0);
  const unsent = Object.values(snapshot.unsentOutbox).some((count) => count > 0);
  return !open && !unsettled && !queued && !unsent;
}

/**
 * A 503 means nothing was kept: every order in the database must be one a buyer was answered 202 for, but for as
 * many as the answers that were lost on the way (the client cannot know those).
 */
export function keptWithout202(snapshot: AuditSnapshot, tally: BuyersTally): Violation[] {
  const unanswered = snapshot.sales
    .flatMap((sale) => sale.orders)
    .filter((order) => !tally.accepted.has(order.orderId));
  if (unanswered.length <= tally.lost) return [];
  const ids = unanswered.slice(0, 5).map((order) => order.orderId);
  return [
    {
      code: 'KEPT_WITHOUT_202',
      where: snapshot.sales[0]?.eventId ?? '-',
      detail: `${unanswered.length} orders recorded without a 202 (${tally.lost} answers lost): ${ids.join(', ')}`,
    },
  ];
}

function rowOf(
  name: string,
  snapshot: AuditSnapshot,
  violations: Violation[],
  recoveryMs: number | null,
): ScenarioRow {
  const orders = snapshot.sales.flatMap((sale) => sale.orders);
  return {
    scenario: name,
    accepted: orders.length,
    confirmed: orders.filter((order) => order.status === 'CONFIRMED').length,
    cancelled: orders.filter((order) => order.status === 'CANCELLED').length,
    refunded: orders.filter((order) => order.refunds > 0).length,
    violations,
    recoveryMs,
  };
}
