import type { AuditSnapshot } from '../ops/audit/audit-snapshot';
import type { Violation } from '../ops/audit/find-violations';
import type { BuyersOptions, BuyersTally } from './buyers';
import type { ChaosStack, ChaosStackOptions } from './chaos-stack';

/**
 * One thing that goes wrong mid-sale. `inject` breaks it and returns how to mend it; the runner drives the sale
 * around it, waits until the system is quiet, and audits it. The runbook (chaos/README.md) says the same in words.
 */
export interface Scenario {
  name: string;
  /** One line: what fails and how it is injected. */
  fault: string;
  /** The stack's options, or how to make them (a key pair of the scenario's own, for its settings). */
  stack?: ChaosStackOptions | (() => Promise<ChaosStackOptions>);
  buyers?: Partial<BuyersOptions>;
  /** The sale's tickets; the runner's (`SALE_STOCK`, 100) unless set. */
  stock?: number;
  /**
   * The scenario's own buyers instead of the runner's (chaos/buyers.ts): a sale behind a waiting room. Started once
   * the sale exists in inventory.
   */
  sale?(stack: ChaosStack, eventId: string, log: (line: string) => void): Promise<ScenarioSale>;
  /** How long the fault lasts before `recover` is called (0: recover at once, e.g. after a restart). */
  faultMs: number;
  /** `log` says what it did (how many messages it purged...) on the runner's output. */
  inject(stack: ChaosStack, log: (line: string) => void): Promise<Recovery>;
  /** What this scenario expects beyond the audit's invariants (the poison it sent, parked). */
  verify?(snapshot: AuditSnapshot): Violation[];
}

export type Recovery = () => Promise<void>;

/** A scenario's own sale: what its buyers saw, and what it checks once the system is quiet. */
export interface ScenarioSale {
  tally: BuyersTally;
  done: Promise<BuyersTally>;
  /** The fault is injected once this many buyers were sent. */
  faultAfter: number;
  /** Run while the stack is still up: it may read the private servers. */
  verify(snapshot: AuditSnapshot): Promise<Violation[]>;
}
