import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { HeldReservation } from '@boxoffice/contracts/inventory/held-reservations.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { withLogFields } from '@boxoffice/logging/log-context';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import {
  forgetIdempotencyKey,
  markKeysReleasingOf,
  unmarkKeyReleasing,
} from '../idempotency/idempotency-keys';
import { InventoryClient, type BatchAnswer } from '../inventory-client/inventory.client';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { Deadline } from '../request/deadline';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import { HOLD_GONE } from './order-saga';
import { recordedOrders } from './order-transaction';

/** How long a page's read of its orders waits for orders' transactions still running (each ends by its deadline). */
const READ_MS = 10_000;

/**
 * Every `ORDER_HOLD_RECONCILE_INTERVAL_MS`, gives back the holds whose order was never recorded (docs/contract.md
 * §2, _Hold reconciliation_): order died between inventory's answer and its transaction's COMMIT, or could not
 * reach inventory to release the hold of a 503. Inventory lists the holds still HELD taken more than
 * `ORDER_HOLD_RECONCILE_AFTER_SECONDS` ago, page by page; their orders are read under the locks the orders'
 * transaction holds (one still running is waited for); those without one are released in one call per page, with
 * their event, which also bars a late reserve of the order id. A key still claimed for such an order id is marked
 * releasing first, as a failed request's is (no request records the order on a hold being given back), then freed.
 */
@Injectable()
export class HoldReconciliation {
  private readonly logger = new Logger('hold-reconciliation');

  constructor(
    private readonly db: DataSource,
    private readonly inventory: InventoryClient,
    private readonly metrics: OrderMetrics,
    private readonly soldOut: SoldOutSales,
    private readonly config: OrderConfig,
  ) {}

  @Periodic('hold reconciliation', OrderConfig, (config) => config.holdReconcileIntervalMs)
  reconcile(): Promise<unknown> {
    return this.sweep(this.config.holdReconcileAfterSeconds);
  }

  /**
   * One sweep over the holds taken more than `olderThanSeconds` ago, judged by inventory on its own clock (this
   * host's may be off: a hold whose order is still being recorded must not look old); returns how many it released.
   */
  async sweep(olderThanSeconds: number): Promise<number> {
    const limit = this.config.batchMaxItems;
    let released = 0;
    for (let after: string | undefined; ;) {
      const holds = await this.inventory.heldReservations({ heldForSeconds: olderThanSeconds, limit, after });
      if (holds.length) released += await this.releaseUnrecorded(holds);
      if (holds.length < limit) return released;
      after = holds[holds.length - 1].orderId;
    }
  }

  /** One page: the holds with no order are released; returns how many. */
  private async releaseUnrecorded(holds: HeldReservation[]): Promise<number> {
    const read = await recordedOrders(
      this.db,
      holds.map(({ orderId }) => orderId),
      new Deadline(READ_MS),
    );
    if ('unknown' in read) throw read.unknown;
    const unrecorded = holds.filter(({ orderId }) => !read.recorded.has(orderId));
    if (!unrecorded.length) return 0;
    const keys = await markKeysReleasingOf(
      this.db.manager,
      unrecorded.map(({ orderId }) => orderId),
    );
    // A key answered since the read: its order was recorded after all. One another is releasing: left to it.
    const orphans = unrecorded.filter(
      ({ orderId }) => !keys.answered.has(orderId) && !keys.releasing.has(orderId),
    );
    // A release that throws may be applied all the same (a timeout): the keys' marks stay, and lapse after it could.
    const answers = orphans.length
      ? await this.inventory.releaseMany(orphans.map(({ orderId, eventId }) => ({ orderId, eventId })))
      : [];
    let released = 0;
    for (const [index, hold] of orphans.entries()) {
      if (await this.settle(hold, answers[index], keys.marked.get(hold.orderId))) released++;
    }
    return released;
  }

  /** One hold's release answered: its key freed if it is gone, kept otherwise. True when this released it. */
  private settle(hold: HeldReservation, answer: BatchAnswer, key: string | undefined): Promise<boolean> {
    const { orderId, eventId } = hold;
    return withLogFields({ orderId }, async () => {
      if (answer instanceof DomainError && !HOLD_GONE.includes(answer.code)) {
        this.logger.warn(`hold ${orderId} of ${eventId} not released yet: ${answer.message}`);
        // A refusal leaves the hold as it was; UNAVAILABLE may yet be applied, so its mark stays until it lapses.
        if (answer.code !== 'UNAVAILABLE') await this.keepKey(key, orderId);
        return false;
      }
      if (key) await forgetIdempotencyKey(this.db.manager, key, orderId).catch(() => false);
      if (answer instanceof DomainError) return false; // gone already (expired, released): no leak left
      this.logger.warn(
        `released hold ${orderId} of ${eventId} (held since ${hold.heldAt}): no order was recorded for it`,
      );
      this.metrics.reconciledHold();
      this.soldOut.onSale(eventId);
      return true;
    });
  }

  /** The release did not happen: the key keeps its order id, usable again by a retry (which takes the hold). */
  private async keepKey(key: string | undefined, orderId: string): Promise<void> {
    if (key) await unmarkKeyReleasing(this.db.manager, key, orderId).catch(() => undefined);
  }
}
