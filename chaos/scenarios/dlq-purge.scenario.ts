import { setTimeout as sleep } from 'node:timers/promises';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { DeadLetters } from '../../ops/dlq/dead-letters';
import type { Scenario } from '../scenario';

const FAULT_SECONDS = 15;
const MAX_ATTEMPTS = 3;
/** Longer than a retry's longest wait (MESSAGE_RETRY_MAX_DELAY_MS) and a handler's run: no attempt of the fault left. */
const SETTLE_MS = 3_000;
const DLQ = 'payment.order_cancelled.dlq';
const SCHEMA = INFRASTRUCTURE_DEFAULTS.schemas.payment;

/**
 * Compensations parked, then purged: a bug in payment's cancellation path (a trigger refusing every new cancellation,
 * SQLSTATE P0001, which no retry mends) parks each order_cancelled after MESSAGE_MAX_ATTEMPTS, while a processor
 * that loses answers makes orders time out with their charge still coming, so some parked cancellations owe a
 * refund. Once the bug is gone, the operator purges the DLQ (`npm run dlq -- purge --yes`'s code): the saga's driver
 * sends each cancellation again.
 */
export const dlqPurge: Scenario = {
  name: 'dlq-purge',
  fault: `for ${FAULT_SECONDS} s payment refuses every new cancellation (a bug: each order_cancelled parked after ${MAX_ATTEMPTS} attempts) and the processor loses 70 % of its answers; then ${DLQ} purged`,
  stack: {
    settings: {
      MESSAGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      GATEWAY_TIMEOUT_MS: '1000',
      ORDER_PAYMENT_TIMEOUT_SECONDS: '4',
      ORDER_RESEND_AFTER_MS: '2000',
      ORDER_RESEND_MAX_MS: '4000',
      // A charge retried across its order's cancellation leaves its claim PENDING (the retry sees the cancellation
      // and stops, taking the claim for a charge in flight); only the reconciliation decides it, and the cancellation
      // waits for it (300 s by default, past the runner's quiet deadline). Short here, as every chaos timer is.
      PAYMENT_RECONCILE_AFTER_SECONDS: '10',
      PAYMENT_RECONCILE_INTERVAL_MS: '1000',
    },
  },
  faultMs: FAULT_SECONDS * 1000,
  async inject(stack, log) {
    const payment = (sql: string, params: unknown[] = []) => stack.postgres.query(sql, params, 'boxoffice');
    await payment(`CREATE FUNCTION "${SCHEMA}".chaos_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'chaos: cancellations refused (a bug)'; END $$`);
    await payment(`CREATE TRIGGER chaos_refuse BEFORE INSERT ON "${SCHEMA}".cancellations
      FOR EACH ROW EXECUTE FUNCTION "${SCHEMA}".chaos_refuse()`);
    // The simulated processor's own outage switch (services/payment/src/gateway/gateway-outage.ts): answers lost.
    await payment(
      `INSERT INTO "${SCHEMA}".gateway_outages (error_rate, timeout_rate, ends_at)
       VALUES (0, 0.7, now() + make_interval(secs => $1))`,
      [FAULT_SECONDS],
    );
    return async () => {
      await payment(`DROP TRIGGER chaos_refuse ON "${SCHEMA}".cancellations`);
      await payment(`DROP FUNCTION "${SCHEMA}".chaos_refuse()`);
      await sleep(SETTLE_MS);
      const letters = await DeadLetters.open(stack.rabbitmq.url);
      try {
        const purged = await letters.purge(DLQ);
        log(`dlq-purge: purged ${purged} parked order_cancelled from ${DLQ}`);
        if (!purged) throw new Error(`dlq-purge: nothing was parked in ${DLQ}`);
      } finally {
        await letters.close();
      }
    };
  },
};
