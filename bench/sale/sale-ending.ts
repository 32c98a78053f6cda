import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { findViolations, type Violation } from '../../ops/audit/find-violations';
import { readSnapshot } from '../../ops/audit/read-snapshot';
import { readSaleOrders, type SaleOrders, type SaleStack } from './sale-stack';

const WAIT_DEADLINE_MS = 120_000;
/** Violations that only say the saga is still moving, or that the broker has not counted a new queue yet (its
 * statistics come every few seconds); the audit is repeated for this long while they last. */
const SETTLE_MS = 15_000;
const POLL_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the sale's orders until none is CREATED and at least `accepted` exist, or for two minutes. */
export async function waitForOrdersEnded(
  db: Client,
  stack: SaleStack,
  eventId: string,
  accepted: number,
): Promise<{ orders: SaleOrders; deadlineHit: boolean }> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  for (;;) {
    const orders = await readSaleOrders(db, stack.schemas.order, eventId);
    const ended = orders.created === 0 && orders.total >= accepted;
    if (ended || Date.now() > deadline) return { orders, deadlineHit: !ended };
    await sleep(POLL_MS);
  }
}

const SETTLING = new Set([
  'SAGA_QUEUE_NOT_EMPTY',
  'SAGA_QUEUE_UNKNOWN',
  'OUTBOX_UNSENT',
  'SOLD_NOT_CONFIRMED',
  'GATE_DIVERGES_FROM_LEDGER',
]);

/** How a sale is audited: by this checkout's audit, or by another commit's (its schema may differ from ours). */
export type SaleAudit = (eventId: string) => Promise<Violation[]>;

export const auditHere =
  (stack: SaleStack): SaleAudit =>
  async (eventId) =>
    findViolations(await readSnapshot(stack, eventId));

/** Another commit's own `npm run audit` (`--sale`, which every commit takes), in its checkout, on its stack. */
export const auditAt =
  (root: string, env: NodeJS.ProcessEnv): SaleAudit =>
  async (eventId) => {
    const run = promisify(execFile);
    const args = ['-r', '@swc-node/register', 'ops/audit/audit.ts', '--sale', eventId, '--json'];
    const { stdout } = await run(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
    }).catch(
      // Exit 1 is its verdict (violations found), not a failure: the report is on stdout all the same.
      (error: { code?: number; stdout?: string }) => {
        if (error.code === 1 && error.stdout) return { stdout: error.stdout };
        throw error;
      },
    );
    return (JSON.parse(stdout) as { violations: Violation[] }).violations;
  };

/** The audit of this sale; repeated for a while as long as what it finds is the saga still finishing. */
export async function auditSale(
  stack: SaleStack,
  eventId: string,
  audit = auditHere(stack),
): Promise<Violation[]> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const violations = await audit(eventId);
    const settling = violations.length > 0 && violations.every((v) => SETTLING.has(v.code));
    if (!settling || Date.now() > deadline) return violations;
    await sleep(500);
  }
}
