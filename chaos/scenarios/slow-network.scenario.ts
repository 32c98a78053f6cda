import { setTimeout as sleep } from 'node:timers/promises';
import type { Scenario } from '../scenario';

const LATENCY_MS = 300;
const CUTS = 4;
const BETWEEN_CUTS_MS = 3_000;

export const slowNetwork: Scenario = {
  name: 'slow-network',
  fault: `order → inventory slowed by ${LATENCY_MS} ms each way, and cut ${CUTS} times with requests in flight (their answers lost, the work done)`,
  stack: { proxyInventory: true },
  faultMs: 0,
  async inject(stack) {
    const links = stack.inventoryLinks;
    for (const link of links) link.setLatency(LATENCY_MS);
    for (let cut = 0; cut < CUTS; cut++) {
      await sleep(BETWEEN_CUTS_MS);
      // Requests are on their way or being answered right now: cutting loses those answers after inventory acted.
      await Promise.all(links.map((link) => link.cut()));
      await Promise.all(links.map((link) => link.restore()));
    }
    return async () => {
      for (const link of links) link.setLatency(0);
    };
  },
};
