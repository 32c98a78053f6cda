import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import type { Scenario } from '../scenario';

const OUTAGE_SECONDS = 20;

export const gatewayFlaky: Scenario = {
  name: 'gateway-flaky',
  fault: `the card processor refuses 40 % of charges and refunds and loses the answer of 40 % more, for ${OUTAGE_SECONDS} s`,
  faultMs: OUTAGE_SECONDS * 1000,
  // The client gives up on a lost answer after 1 s, so payment retries within the outage; orders time out after 4 s,
  // so some are cancelled while their charge is still being tried, and refunds meet the outage too.
  stack: { settings: { GATEWAY_TIMEOUT_MS: '1000', ORDER_PAYMENT_TIMEOUT_SECONDS: '4' } },
  async inject(stack) {
    // The simulated processor's own outage switch (services/payment/src/gateway/gateway-outage.ts).
    await stack.postgres.query(
      `INSERT INTO "${INFRASTRUCTURE_DEFAULTS.schemas.payment}".gateway_outages (error_rate, timeout_rate, ends_at)
       VALUES (0.4, 0.4, now() + make_interval(secs => $1))`,
      [OUTAGE_SECONDS],
      'boxoffice',
    );
    return async () => undefined; // the outage ends by itself
  },
};
