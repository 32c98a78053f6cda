import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import {
  BatchResultsView,
  CommitBatchDto,
  ReleaseBatchDto,
  ReleaseBatchItem,
  ReserveBatchDto,
} from '@boxoffice/contracts/inventory/reservation-batch.dto';
import { ReserveStockDto } from '@boxoffice/contracts/inventory/reservation.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { AnswersErrors, BODY_ERRORS } from '@boxoffice/http/answers-errors.decorator';
import { RequiresToken } from '@boxoffice/http/requires-token.decorator';
import { validateItem } from '@boxoffice/http/validation';
import { InventoryConfig } from '../inventory.config';
import { ItemOutcome, toResult } from './batch-items';
import { ReserveBatch } from './reserve-batch';
import { SettleBatch } from './settle-batch';

const DESCRIPTION = 'One result per item, in order: the status and body the single call would have answered';

/**
 * The reservation API for many orders at once (docs/contract.md, _Batches_): a bad envelope is a 400 for the call,
 * a bad item only that item's result.
 */
@ApiTags('reservations')
@Controller('reservations')
export class ReservationBatchesController {
  constructor(
    private readonly reserving: ReserveBatch,
    private readonly settling: SettleBatch,
    private readonly config: InventoryConfig,
  ) {}

  @Post('batch')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({ type: BatchResultsView, description: DESCRIPTION })
  @AnswersErrors(...BODY_ERRORS, 'UNAVAILABLE', 'INTERNAL')
  reserve(@Body() body: ReserveBatchDto): Promise<BatchResultsView> {
    return this.answer(
      body.items,
      201,
      (raw) => validateItem(ReserveStockDto, raw),
      (items) => this.reserving.reserve(items),
    );
  }

  @Post('commits')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({ type: BatchResultsView, description: DESCRIPTION })
  @AnswersErrors(...BODY_ERRORS, 'UNAVAILABLE', 'INTERNAL')
  commit(@Body() body: CommitBatchDto): Promise<BatchResultsView> {
    return this.answer(
      body.orderIds,
      200,
      (raw) => {
        const checked = validateItem(OrderIdParam, { orderId: raw });
        return checked instanceof DomainError ? checked : checked.orderId;
      },
      (orderIds) => this.settling.commit(orderIds),
    );
  }

  @Post('releases')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({ type: BatchResultsView, description: DESCRIPTION })
  @AnswersErrors(...BODY_ERRORS, 'UNAVAILABLE', 'INTERNAL')
  release(@Body() body: ReleaseBatchDto): Promise<BatchResultsView> {
    return this.answer(
      body.items,
      200,
      (raw) => validateItem(ReleaseBatchItem, raw),
      (items) => this.settling.release(items),
    );
  }

  /** Checks each item, runs the valid ones together, and answers every item in its place. */
  private async answer<T>(
    raw: unknown[],
    okStatus: number,
    check: (raw: unknown) => T | DomainError,
    run: (items: T[]) => Promise<ItemOutcome[]>,
  ): Promise<BatchResultsView> {
    if (raw.length > this.config.batchMaxItems) {
      throw new DomainError('VALIDATION_FAILED', 'The batch is too large', [
        {
          field: 'items',
          messages: [`at most ${this.config.batchMaxItems} items (INVENTORY_BATCH_MAX_ITEMS)`],
        },
      ]);
    }
    const checked = raw.map(check);
    const valid = checked.filter((item): item is T => !(item instanceof DomainError));
    const answers = valid.length ? await run(valid) : [];
    let next = 0;
    const results = checked.map((item) =>
      toResult(item instanceof DomainError ? item : answers[next++], okStatus),
    );
    return { version: 1, results };
  }
}
