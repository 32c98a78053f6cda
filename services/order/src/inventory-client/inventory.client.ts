import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { NaturalBatch, type ItemOutcome } from '@boxoffice/batching/natural-batch';
import { ERROR_STATUS, ErrorBody, isErrorCode } from '@boxoffice/contracts/errors/error-codes';
import type { BatchResultsView } from '@boxoffice/contracts/inventory/reservation-batch.dto';
import type {
  HeldReservation,
  HeldReservationsDto,
} from '@boxoffice/contracts/inventory/held-reservations.dto';
import type { ReservationView, ReserveStockDto } from '@boxoffice/contracts/inventory/reservation.dto';
import type { SaleView } from '@boxoffice/contracts/inventory/sale.dto';
import { DomainError, NotSentError } from '@boxoffice/errors/domain-error';
import { inClientSpan } from '@boxoffice/tracing/spans';
import { requestIdHeader } from '@boxoffice/logging/request-id';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';

/**
 * The inventory service over HTTP: a keep-alive pool, a timeout on every call, its error codes passed on as ours.
 */
type BatchOperation = 'reserve batch' | 'commit batch' | 'release batch';

/** One item's answer in a batch: its reservation, or the error its single call would have thrown. */
export type BatchAnswer = ReservationView | DomainError;

/** A page of `POST /reservations/held` as order asks it (version 2): by age, on inventory's clock. */
export type HeldReservationsPage = Required<Pick<HeldReservationsDto, 'heldForSeconds' | 'limit'>> &
  Pick<HeldReservationsDto, 'after'>;

@Injectable()
export class InventoryClient implements OnApplicationShutdown {
  private readonly pool: Pool;
  private readonly authorization: string;

  private readonly holds: NaturalBatch<ReserveItem, ReservationView>;
  private readonly releases: NaturalBatch<{ orderId: string; eventId: string }, ReservationView>;

  constructor(config: OrderConfig, metrics: OrderMetrics) {
    // Two batches in flight: one gathers while two are answered, so a storm keeps inventory's two cores busy.
    this.holds = new NaturalBatch((items) => this.reserveAll(items), {
      maxSize: config.batchMaxItems,
      concurrency: 2,
      onBatch: metrics.batched('reserve'),
    });
    this.releases = new NaturalBatch(async (items) => outcomesOf(await this.releaseMany(items)), {
      maxSize: config.batchMaxItems,
      concurrency: 2,
      onBatch: metrics.batched('release'),
    });
    this.authorization = `Bearer ${config.inventoryToken}`;
    this.pool = new Pool(config.inventoryUrl, {
      connections: config.inventoryConnections,
      keepAliveTimeout: 30_000,
      connectTimeout: config.inventoryTimeoutMs,
      headersTimeout: config.inventoryTimeoutMs,
      bodyTimeout: config.inventoryTimeoutMs,
    });
  }

  /**
   * Step 1's hold for one order, asked together with every other asked meanwhile (one reserve batch; see
   * NaturalBatch). Given up when `signal` aborts: an order given up before its batch goes is not sent at all.
   */
  reserve(request: ReserveStockDto, signal?: AbortSignal): Promise<ReservationView> {
    if (signal?.aborted) return Promise.reject(outOfTime());
    const held = this.holds.submit({ request, signal });
    return signal ? untilAborted(held, signal) : held;
  }

  /**
   * A hold given back, with every other release asked meanwhile (one release batch). With the event, inventory also
   * bars an order id whose hold has not arrived yet (a reserve that timed out).
   */
  release(orderId: string, eventId: string): Promise<ReservationView> {
    return this.releases.submit({ orderId, eventId });
  }

  /**
   * The batch calls (step 4 commits with commitMany): one answer per item, in order, each the reservation or the error
   * its single call would have thrown (a refusal as its code, a 5xx as UNAVAILABLE). The call itself throws as a
   * single call does when inventory answers no batch (down, 401, a bad envelope).
   */
  reserveMany(items: ReserveStockDto[]): Promise<BatchAnswer[]> {
    return this.callBatch('reserve batch', '/reservations/batch', { version: 1, items }, items.length);
  }

  commitMany(orderIds: string[]): Promise<BatchAnswer[]> {
    return this.callBatch('commit batch', '/reservations/commits', { version: 1, orderIds }, orderIds.length);
  }

  releaseMany(items: { orderId: string; eventId: string }[]): Promise<BatchAnswer[]> {
    return this.callBatch('release batch', '/reservations/releases', { version: 1, items }, items.length);
  }

  /**
   * A page of the holds still HELD taken more than `heldForSeconds` ago on inventory's clock, oldest first (the hold
   * reconciliation's read).
   */
  async heldReservations(page: HeldReservationsPage): Promise<HeldReservation[]> {
    const body: HeldReservationsDto = { version: 2, ...page };
    const answer = await this.call<{ holds?: HeldReservation[] } | undefined>(
      'held',
      '/reservations/held',
      body,
    );
    if (!Array.isArray(answer?.holds))
      throw new DomainError('UNAVAILABLE', 'inventory answered held without holds');
    return answer.holds;
  }

  /** The sale as inventory has it (its ledger counts are Postgres's): the waiting room's stock reading. */
  async sale(eventId: string): Promise<SaleView> {
    const answer = await this.call<Partial<SaleView> | undefined>(
      'sale',
      `/events/${encodeURIComponent(eventId)}`,
      undefined,
      'GET',
    );
    const ledger = answer?.ledger;
    if (!Number.isInteger(ledger?.available) || !Number.isInteger(ledger?.held))
      throw new DomainError('UNAVAILABLE', 'inventory answered a sale without its ledger counts');
    return answer as SaleView;
  }

  private async reserveAll(items: ReserveItem[]): Promise<ItemOutcome<ReservationView>[]> {
    const asked = items.filter(({ signal }) => !signal?.aborted);
    const answers = asked.length ? await this.reserveMany(asked.map(({ request }) => request)) : [];
    const answerOf = new Map(asked.map((item, index) => [item, answers[index]]));
    return outcomesOf(items.map((item) => answerOf.get(item) ?? outOfTime()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  private async callBatch(
    operation: BatchOperation,
    path: string,
    body: object,
    count: number,
  ): Promise<BatchAnswer[]> {
    const answer = await this.call<Partial<BatchResultsView> | undefined>(operation, path, body);
    if (!Array.isArray(answer?.results) || answer.results.length !== count) {
      throw new DomainError('UNAVAILABLE', `inventory answered ${operation} without one result per item`);
    }
    return answer.results.map((result) => result.reservation ?? inventoryError(result.status, result.error));
  }

  /** Every call is traced as `inventory <operation>` (its span the parent of inventory's). */
  private async call<T>(
    operation: 'held' | 'sale' | BatchOperation,
    path: string,
    body?: unknown,
    method: 'POST' | 'GET' = 'POST',
  ): Promise<T> {
    let response;
    let text;
    try {
      [response, text] = await inClientSpan(`inventory ${operation}`, async (trace) => {
        const answer = await this.pool.request({
          method,
          path,
          headers: {
            ...(method === 'POST' && { 'content-type': 'application/json' }),
            authorization: this.authorization,
            // Inventory's lines for this call carry the id of the request that made it.
            ...requestIdHeader(),
            ...trace,
          },
          body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
        });
        // A body cut off (aborted, timed out) is no answer: a 2xx without its body must not pass for one.
        return [answer, await answer.body.text()] as const;
      });
    } catch (error) {
      if (isConnectFailure(error))
        throw new NotSentError(`inventory unreachable: ${(error as Error).message}`);
      throw new DomainError('UNAVAILABLE', `inventory did not answer: ${(error as Error).message}`);
    }
    const parsed = safeJson(text);
    if (response.statusCode < 300) return parsed as T;
    throw inventoryError(response.statusCode, parsed as Partial<ErrorBody> | undefined);
  }
}

/** A batch's answers as its items' outcomes: an error answered for an item is that item's failure. */
function outcomesOf(answers: BatchAnswer[]): ItemOutcome<ReservationView>[] {
  return answers.map((answer) =>
    answer instanceof DomainError
      ? { status: 'rejected', reason: answer }
      : { status: 'fulfilled', value: answer },
  );
}

interface ReserveItem {
  request: ReserveStockDto;
  signal?: AbortSignal;
}

function outOfTime(): DomainError {
  return new DomainError('UNAVAILABLE', 'inventory did not answer: the request ran out of time');
}

/** `work`, or the 503 once `signal` aborts (work still running then goes on, unwatched). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(outOfTime());
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Inventory's error as ours: its refusal as such, anything else (a 5xx, our token refused) UNAVAILABLE. */
function inventoryError(status: number, error: Partial<ErrorBody> | undefined): DomainError {
  // Inventory refusing our SERVICE_TOKEN is this service misconfigured, not the buyer's fault: 503, retried.
  if (
    status < 500 &&
    isErrorCode(error?.code) &&
    error.code !== 'UNAUTHORIZED' &&
    ERROR_STATUS[error.code] < 500
  ) {
    return new DomainError(error.code, error.message ?? error.code, error.details);
  }
  return new DomainError('UNAVAILABLE', `inventory answered ${status} ${error?.code ?? ''}`.trim());
}

/** No connection made, so nothing sent: refused, unresolvable, unroutable, or not accepted within its timeout. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isConnectFailure(error: unknown): boolean {
  return CONNECT_FAILURES.has((error as { code?: string } | undefined)?.code ?? '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
