import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { PaymentGateway, type MadeCharge } from '../gateway/payment-gateway';
import { PaymentConfig } from '../payment.config';
import type { Payment } from './payment.entity';
import { CHARGE_KEY, NOT_CHARGED, PaymentsService } from './payments.service';

/** How far back the processor's charges are compared with ours. */
const WINDOW_SECONDS = 86_400;
/** Claims of cancelled orders looked up at the processor per sweep; the next sweep takes the rest. */
const MOST_CLAIMS = 500;

/** Our record of an order the processor charged, as the one query of a sweep reads it. */
interface Ours {
  order_id: string;
  status: Payment['status'] | null;
  cancelled: boolean;
}

/**
 * Every `PAYMENT_RECONCILE_INTERVAL_MS`, compares the processor's record of charges with ours, both ways, for what
 * is at least `PAYMENT_RECONCILE_AFTER_SECONDS` old:
 * - a charge it holds whose payment is missing, still PENDING, or FAILED (a wrong "failed" answer) is recorded from
 *   its record, with a payment_result: the saga confirms the order, or it is already cancelled;
 * - a claim still PENDING for a cancelled order, last sent to the processor (its `charging_at`) longer ago than that
 *   plus the gateway's timeout (its charging copy died), is decided from the processor's record, or as never charged
 *   when the processor has none; a charge still in flight is never decided (and should it succeed after all, its
 *   record replaces "never charged" and it is refunded at once: PaymentsService.chargeOrders);
 * - then every such order that payment knows is cancelled is settled: a charge refunded, the cancellation answered.
 */
@Injectable()
export class ChargeReconciliation {
  private readonly logger = new Logger('charge-reconciliation');

  constructor(
    private readonly db: DataSource,
    private readonly gateway: PaymentGateway,
    private readonly payments: PaymentsService,
    private readonly config: PaymentConfig,
  ) {}

  @Periodic('charge reconciliation', PaymentConfig, (config) => config.reconcileIntervalMs)
  reconcile(): Promise<unknown> {
    return this.sweep(this.config.reconcileAfterSeconds, WINDOW_SECONDS);
  }

  /** One sweep (see the class); returns how many orders it recorded, corrected or settled. */
  async sweep(olderThanSeconds: number, withinSeconds: number): Promise<number> {
    const claimAgeSeconds = olderThanSeconds + this.config.gatewayTimeoutMs / 1000;
    const charges = new Map<string, MadeCharge>();
    for (const charge of await this.gateway.chargesMade(olderThanSeconds, withinSeconds)) {
      if (charge.idempotencyKey.startsWith(CHARGE_KEY)) {
        charges.set(charge.idempotencyKey.slice(CHARGE_KEY.length), charge);
      }
    }
    const claims: { order_id: string }[] = await this.db.query(
      `SELECT order_id FROM payments JOIN cancellations USING (order_id)
       WHERE status = 'PENDING' AND charging_at < now() - make_interval(secs => $1) LIMIT $2`,
      [claimAgeSeconds, MOST_CLAIMS],
    );
    const unlisted = claims.map(({ order_id }) => order_id).filter((orderId) => !charges.has(orderId));
    if (unlisted.length) {
      for (const charge of await this.gateway.chargesOf(
        unlisted.map((orderId) => `${CHARGE_KEY}${orderId}`),
      )) {
        charges.set(charge.idempotencyKey.slice(CHARGE_KEY.length), charge);
      }
    }
    const orderIds = [...new Set([...charges.keys(), ...unlisted])];
    if (!orderIds.length) return 0;
    const ours: Ours[] = await this.db.query(
      `SELECT o.order_id, p.status, c.order_id IS NOT NULL AS cancelled
       FROM unnest($1::varchar[]) AS o (order_id)
       LEFT JOIN payments p USING (order_id) LEFT JOIN cancellations c USING (order_id)`,
      [orderIds],
    );
    let mended = 0;
    for (const order of ours) {
      try {
        if (await this.mend(order, charges.get(order.order_id), claimAgeSeconds)) mended++;
      } catch (error) {
        this.logger.warn(`order ${order.order_id} not reconciled yet: ${(error as Error).message}`);
      }
    }
    return mended;
  }

  /** Makes our record of one order agree with the processor's, and settles it if it is cancelled. */
  private async mend(ours: Ours, charge: MadeCharge | undefined, claimAgeSeconds: number): Promise<boolean> {
    const orderId = ours.order_id;
    let recorded = false;
    if (!charge) {
      // A cancelled order's claim the processor never charged: it never will be, unless a copy sent it again since.
      recorded = await this.payments.underLock(orderId, async (tx, { payment }) => {
        if (!payment) return false;
        const [stale] = await tx.query(
          `SELECT 1 FROM payments WHERE order_id = $1 AND status = 'PENDING'
             AND charging_at < now() - make_interval(secs => $2)`,
          [orderId, claimAgeSeconds],
        );
        return (
          stale !== undefined &&
          (await this.payments.recordCharge(tx, payment, NOT_CHARGED, ['PENDING'])) !== null
        );
      });
    } else if (
      ours.status === null ||
      ours.status === 'PENDING' ||
      (ours.status === 'FAILED' && charge.succeeded)
    ) {
      this.logger.warn(
        `charge ${charge.reference} of order ${orderId} (${charge.succeeded ? 'succeeded' : 'failed'}) ` +
          `had payment ${ours.status ?? 'missing'}: recording it from the processor`,
      );
      recorded = await this.payments.underLock(
        orderId,
        async (tx) =>
          (await this.payments.recordCharge(
            tx,
            { orderId, amount: charge.amount, currency: charge.currency },
            charge,
            ['PENDING', 'FAILED'],
          )) !== null,
      );
    }
    const owed = ours.cancelled && (recorded || (ours.status === 'SUCCEEDED' && charge !== undefined));
    if (owed) await this.payments.settle(orderId);
    return recorded || owed;
  }
}
