import type { AuditSnapshot } from '../ops/audit/audit-snapshot';
import type { Violation } from '../ops/audit/find-violations';
import type { BuyersOptions } from './buyers';
import type { ChaosStack, ChaosStackOptions } from './chaos-stack';

/**
 * One thing that goes wrong mid-sale. `inject` breaks it and returns how to mend it; the runner drives the sale
 * around it, waits until the system is quiet, and audits it. The runbook (chaos/README.md) says the same in words.
 */
export interface Scenario {
  name: string;
  /** One line: what fails and how it is injected. */
  fault: string;
  stack?: ChaosStackOptions;
  buyers?: Partial<BuyersOptions>;
  /** How long the fault lasts before `recover` is called (0: recover at once, e.g. after a restart). */
  faultMs: number;
  /** `log` says what it did (how many messages it purged...) on the runner's output. */
  inject(stack: ChaosStack, log: (line: string) => void): Promise<Recovery>;
  /** What this scenario expects beyond the audit's invariants (the poison it sent, parked). */
  verify?(snapshot: AuditSnapshot): Violation[];
}

export type Recovery = () => Promise<void>;
