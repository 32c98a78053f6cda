/**
 * How long a client of the waiting room waits before it asks again (docs/contract.md §2, "The waiting room"):
 * `pollAfterSeconds` (at least 1 s) plus a random share of up to a quarter of it, so that buyers who arrived
 * together do not ask, learn of their turn and order together.
 */
export function pollDelayMs(
  pollAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  const base = Math.max(1, pollAfterSeconds ?? 1) * 1000;
  return Math.round(base * (1 + random() / 4));
}
