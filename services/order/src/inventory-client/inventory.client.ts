import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { ERROR_STATUS, ErrorBody, isErrorCode } from '@boxoffice/contracts/errors/error-codes';
import type { ReservationView, ReserveStockDto } from '@boxoffice/contracts/inventory/reservation.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { inClientSpan } from '@boxoffice/tracing/spans';
import { OrderConfig } from '../order.config';

/**
 * The inventory service over HTTP: a keep-alive pool, a timeout on every call, its error codes passed on as ours. A
 * call given a signal is given up when it aborts, also while it waits in the pool's queue for a connection.
 */
@Injectable()
export class InventoryClient implements OnApplicationShutdown {
  private readonly pool: Pool;
  private readonly authorization: string;

  constructor(config: OrderConfig) {
    this.authorization = `Bearer ${config.inventoryToken}`;
    this.pool = new Pool(config.inventoryUrl, {
      connections: config.inventoryConnections,
      keepAliveTimeout: 30_000,
      connectTimeout: config.inventoryTimeoutMs,
      headersTimeout: config.inventoryTimeoutMs,
      bodyTimeout: config.inventoryTimeoutMs,
    });
  }

  reserve(request: ReserveStockDto, signal?: AbortSignal): Promise<ReservationView> {
    return this.call('reserve', '/reservations', request, signal);
  }

  commit(orderId: string): Promise<ReservationView> {
    return this.call('commit', `/reservations/${encodeURIComponent(orderId)}/commit`);
  }

  /** With the event, inventory also bars an order id whose hold has not arrived yet (a reserve that timed out). */
  release(orderId: string, eventId: string): Promise<ReservationView> {
    return this.call('release', `/reservations/${encodeURIComponent(orderId)}/release`, { eventId });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /** Every call is a POST, traced as `inventory <operation>` (its span the parent of inventory's). */
  private async call<T>(
    operation: 'reserve' | 'commit' | 'release',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    let response;
    let text;
    try {
      [response, text] = await inClientSpan(`inventory ${operation}`, async (trace) => {
        const answer = await this.pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', authorization: this.authorization, ...trace },
          body: JSON.stringify(body ?? {}),
          signal,
        });
        // A body cut off (aborted, timed out) is no answer: a 2xx without its body must not pass for one.
        return [answer, await answer.body.text()] as const;
      });
    } catch (error) {
      const why = signal?.aborted ? 'the request ran out of time' : (error as Error).message;
      throw new DomainError('UNAVAILABLE', `inventory did not answer: ${why}`);
    }
    const parsed = safeJson(text);
    if (response.statusCode < 300) return parsed as T;
    const error = parsed as Partial<ErrorBody> | undefined;
    // Inventory refusing our SERVICE_TOKEN is this service misconfigured, not the buyer's fault: 503, retried.
    if (
      response.statusCode < 500 &&
      isErrorCode(error?.code) &&
      error.code !== 'UNAUTHORIZED' &&
      ERROR_STATUS[error.code] < 500
    ) {
      throw new DomainError(error.code, error.message ?? error.code, error.details);
    }
    throw new DomainError(
      'UNAVAILABLE',
      `inventory answered ${response.statusCode} ${error?.code ?? ''}`.trim(),
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
