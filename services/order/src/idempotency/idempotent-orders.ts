import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NaturalBatch } from '@boxoffice/batching/natural-batch';
import type { ErrorBody } from '@boxoffice/contracts/errors/error-codes';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError, isRefusal, NotSentError } from '@boxoffice/errors/domain-error';
import type { Deadline } from '../request/deadline';
import { orderNotTaken, type OrderIdClaim } from '../request/order-id-claim';
import {
  claimIdempotencyKeys,
  forgetIdempotencyKey,
  keyNames,
  markKeyReleasing,
  readIdempotencyKey,
  requestHash,
  type IdempotencyRecord,
  type KeyClaimAsked,
  type StoredResponse,
  unmarkKeyReleasing,
} from './idempotency-keys';
import { KeyReads } from './key-reads';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';

/**
 * The Idempotency-Key protocol of POST /orders (docs/contract.md §2): every request with a key gets its order's 202,
 * even when they race; the same key with another body is refused. A refusal decided before any hold (Stripe's rule:
 * nothing began) and a 503 store nothing, so the client may retry with the same key and be asked again.
 */
@Injectable()
export class IdempotentOrders {
  private readonly keyReads: KeyReads;
  /** Keys claimed together: every request with a key asked while a claim runs goes in the next one. */
  private readonly keyClaims: NaturalBatch<KeyClaimAsked, IdempotencyRecord | undefined>;

  constructor(
    private readonly db: DataSource,
    config: OrderConfig,
    metrics: OrderMetrics,
  ) {
    this.keyReads = new KeyReads(() => this.db.manager);
    this.keyClaims = new NaturalBatch(
      async (claims) =>
        (await claimIdempotencyKeys(this.db.manager, claims)).map((value) => ({
          status: 'fulfilled',
          value,
        })),
      { maxSize: config.batchMaxItems, concurrency: 2, onBatch: metrics.batched('key_claim') },
    );
  }

  /**
   * Runs `place` at most once per key, with the order id every request with that key shares; every request gets
   * the first one's answer. Waits that may be abandoned end at `deadline`: a claim that lands after it only names an
   * order id, which a retry uses.
   */
  async placeOnce({ key, request, deadline, place, refusal }: KeyedOrder): Promise<OrderView> {
    // Refused from memory: a key no request claimed is answered so and left as it is, not written (nor hashed); a
    // key with an order (or an answer) goes the usual way, which answers for it.
    if (refusal && !(await deadline.orLate(this.keyReads.read(key), outOfTime))) throw refusal;
    const hash = requestHash(request);
    const first = await deadline.orLate(
      this.keyClaims.submit({ key, requestHash: hash, resourceId: randomUUID() }),
      outOfTime,
    );
    if (!first) throw orderNotTaken('an earlier attempt with this key just ended');
    if (first.requestHash !== hash) throw keyReused();
    if (first.response) return replay(first.response);
    // Its first attempt is giving its hold back: that order id is not to be used now; a retry finds the key free.
    if (first.releasing) throw orderNotTaken('an earlier attempt with this key is being undone');
    const claim = new KeyClaim(this.db, key, first.resourceId);
    try {
      return await place(first.resourceId, claim);
    } catch (error) {
      if (isRefusal(error)) return this.refused(key, first.resourceId, error, deadline);
      // Not freed: a racing request with this key goes on, and its answer, if there is one yet, is ours.
      const racing = claim.freed
        ? null
        : await deadline.orLate(
            readIdempotencyKey(this.db.manager, key, false).catch(() => null),
            () => null,
          );
      if (racing?.response) return replay(racing.response);
      throw error;
    }
  }

  /** Whether no request claimed `key` (a read only, batched with others: see KeyReads). */
  async unclaimed(key: string): Promise<boolean> {
    return !(await this.keyReads.read(key));
  }

  /**
   * For a request that may not place an order now: the answer stored for its key, replayed (the same key with
   * another body is refused as always), else `unanswered` is thrown. Reads only: the key is not claimed.
   */
  async replayOr(
    key: string,
    request: object,
    deadline: Deadline,
    unanswered: DomainError,
  ): Promise<OrderView> {
    const reading = this.keyReads.read(key).catch(() => null);
    const first = await deadline.orLate(reading, () => null);
    if (first && first.requestHash !== requestHash(request)) throw keyReused();
    if (first?.response) return replay(first.response);
    throw unanswered;
  }

  /**
   * A refusal before any hold (inventory's): nothing began, so the key is freed for a retry to ask again, unless a
   * racing request with it answered meanwhile (its 202 stands, and is this request's answer too).
   */
  private async refused(
    key: string,
    orderId: string,
    refusal: DomainError,
    deadline: Deadline,
  ): Promise<OrderView> {
    const freed = forgetIdempotencyKey(this.db.manager, key, orderId).catch(() => true);
    if (await deadline.orLate(freed, () => true)) throw refusal;
    const racing = await deadline.orLate(
      readIdempotencyKey(this.db.manager, key, false).catch(() => null),
      () => null,
    );
    if (racing?.response) return replay(racing.response);
    throw refusal;
  }
}

/** A request with an Idempotency-Key, as the saga's step 0 hands it over. */
export interface KeyedOrder {
  key: string;
  /** Hashed: the same key with another request is refused. */
  request: object;
  deadline: Deadline;
  /** Steps 1 and 2 under the key's order id: run by the request that claims the key only. */
  place: (orderId: string, claim: OrderIdClaim) => Promise<OrderView>;
  /** Decided before anything was asked (SOLD_OUT from memory): the answer for a key no request claimed, never stored. */
  refusal?: DomainError;
}

/** The order id of a key, shared by every request with that key. */
class KeyClaim implements OrderIdClaim {
  freed = false;

  constructor(
    private readonly db: DataSource,
    readonly key: string,
    private readonly orderId: string,
  ) {}

  async giveUp(release: () => Promise<void>): Promise<void> {
    // Marked, not locked, while its hold is released (no Postgres connection waits on inventory): a racing request
    // with the key is refused (503) and cannot record an order on a hold being given back. A release that provably
    // did nothing (refused, or never sent) takes the mark off, with the key still claimed, so that a retry takes the
    // order with the hold it has; one whose outcome is unknown (sent, not answered) may still be applied, so its mark
    // stays until it lapses (RELEASING_FOR), as the hold reconciliation's does.
    if (!(await markKeyReleasing(this.db.manager, this.key, this.orderId))) {
      // Not ours to mark: a racing request answered, or is releasing, under this id; or the key was freed by a refused
      // twin (or claimed afresh since): then no request will take this id, and the hold it has goes back now.
      if (!(await keyNames(this.db.manager, this.key, this.orderId))) await release();
      return;
    }
    try {
      await release();
    } catch (error) {
      if (isRefusal(error) || error instanceof NotSentError)
        await unmarkKeyReleasing(this.db.manager, this.key, this.orderId).catch(() => undefined);
      throw error;
    }
    this.freed = await forgetIdempotencyKey(this.db.manager, this.key, this.orderId);
  }
}

/**
 * In the order's transaction, its key's record read under lock: what a racing request with the key decided for
 * `orderId` (its 202, or its refusal), or undefined when nothing is decided yet. Throws the 503 when the key was given
 * up by a failed twin (its hold released, or being released), or claimed afresh since: no 202 for this attempt either.
 */
export function decidedByKey(
  first: IdempotencyRecord | undefined,
  orderId: string,
): OrderView | DomainError | undefined {
  if (!first || first.resourceId !== orderId || first.releasing) throw orderNotTaken();
  if (!first.response) return undefined;
  try {
    return replay(first.response);
  } catch (refusal) {
    return refusal as DomainError;
  }
}

function keyReused(): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
}

function outOfTime(): never {
  throw orderNotTaken('out of time');
}

/** A stored response as the request's outcome: the order, or the refusal thrown again. */
function replay(response: StoredResponse): OrderView {
  if (response.status === 202) return response.body as OrderView;
  const body = response.body as ErrorBody;
  throw new DomainError(body.code, body.message, body.details);
}
