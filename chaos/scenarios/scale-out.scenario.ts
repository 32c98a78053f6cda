import type { ServiceName } from '../chaos-stack';
import type { Scenario } from '../scenario';

// The last instance of each service is the one that dies.
const INSTANCES: Record<ServiceName, number> = { order: 2, inventory: 2, payment: 3 };
const VICTIMS = Object.entries(INSTANCES) as [ServiceName, number][];

export const scaleOut: Scenario = {
  name: 'scale-out',
  fault:
    'two order, two inventory and three payment instances; one of each SIGKILLed mid-sale, restarted 5 s later',
  stack: { instances: INSTANCES },
  faultMs: 5_000,
  async inject(stack) {
    await Promise.all(VICTIMS.map(([service, count]) => stack.kill(service, count - 1)));
    return async () => {
      for (const [service, count] of VICTIMS) await stack.restart(service, count - 1);
    };
  },
};
