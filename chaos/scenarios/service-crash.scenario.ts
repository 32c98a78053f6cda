import type { ServiceName } from '../chaos-stack';
import type { Scenario } from '../scenario';

/** The service SIGKILLed mid-sale (no shutdown hook runs), restarted 5 s later. */
function serviceCrash(service: ServiceName): Scenario {
  return {
    name: `${service}-crash`,
    fault: `${service} SIGKILLed mid-sale, restarted 5 s later`,
    faultMs: 5_000,
    async inject(stack) {
      await stack.kill(service);
      return () => stack.restart(service);
    },
  };
}

export const paymentCrash = serviceCrash('payment');
export const orderCrash = serviceCrash('order');
export const inventoryCrash = serviceCrash('inventory');
