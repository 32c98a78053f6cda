import type { Type } from '@nestjs/common';
import type { ReadinessCheck } from '@boxoffice/health/readiness-check';
import { OutboxRelay } from './outbox-relay';
import type { OutboxSettings } from './outbox-settings';

/** Up while the rows waiting for the broker stay within `OUTBOX_READY_MAX_BACKLOG`; parked rows do not count. */
export function outboxBacklogReadiness<C extends { outbox: OutboxSettings }>(
  configType: Type<C>,
): ReadinessCheck {
  return {
    name: 'outbox',
    probe: async (resolve) => {
      const backlog = await resolve(OutboxRelay).pending();
      const limit = resolve(configType).outbox.readyMaxBacklog;
      return { up: backlog <= limit, backlog, limit };
    },
  };
}
