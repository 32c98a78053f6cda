import type { Scenario } from '../scenario';

export const dbOutage: Scenario = {
  name: 'db-outage',
  fault: 'Postgres stopped for 15 s mid-sale (pg_ctl stop -m fast), then started again',
  faultMs: 15_000,
  async inject(stack) {
    await stack.postgres.stop();
    return () => stack.postgres.resume();
  },
};

export const dbReadonly: Scenario = {
  name: 'db-readonly',
  fault: 'Postgres read-only for 20 s (default_transaction_read_only, as after a failover to a replica)',
  faultMs: 20_000,
  async inject(stack) {
    await stack.postgres.setReadOnly(true);
    return () => stack.postgres.setReadOnly(false);
  },
};
