import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import {
  HeldReservationsDto,
  HeldReservationsView,
} from '@boxoffice/contracts/inventory/held-reservations.dto';
import {
  ReleaseReservationDto,
  ReservationView,
  ReserveStockDto,
} from '@boxoffice/contracts/inventory/reservation.dto';
import { AnswersErrors, BODY_ERRORS } from '@boxoffice/http/answers-errors.decorator';
import { RequiresToken } from '@boxoffice/http/requires-token.decorator';
import { HeldReservations } from './held-reservations';
import { ReservationsService } from './reservations.service';

/** The reservation API: for the order service only (its SERVICE_TOKEN); reading a reservation stays open. */
@ApiTags('reservations')
@Controller('reservations')
export class ReservationsController {
  constructor(
    private readonly reservations: ReservationsService,
    private readonly held: HeldReservations,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresToken('service')
  @ApiCreatedResponse({
    type: ReservationView,
    description: 'Held (or the existing reservation of this orderId)',
  })
  @AnswersErrors(
    ...BODY_ERRORS,
    'EVENT_NOT_FOUND',
    'SOLD_OUT',
    'RESERVATION_RELEASED',
    'PURCHASE_LIMIT_EXCEEDED',
    'IDEMPOTENCY_KEY_REUSED',
    'UNAVAILABLE',
    'INTERNAL',
  )
  reserve(@Body() body: ReserveStockDto): Promise<ReservationView> {
    return this.reservations.reserve(body);
  }

  /** A read, but a POST as the batch calls: its body is validated as theirs (order's hold reconciliation). */
  @Post('held')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({
    type: HeldReservationsView,
    description:
      'Holds still HELD taken more than heldForSeconds ago (version 2, on this clock) or before heldBefore ' +
      '(version 1), oldest first; a page shorter than limit is the last',
  })
  @AnswersErrors(...BODY_ERRORS, 'UNAVAILABLE', 'INTERNAL')
  async listHeld(@Body() body: HeldReservationsDto): Promise<HeldReservationsView> {
    return { version: 1, holds: await this.held.list(body) };
  }

  @Get(':orderId')
  @ApiOkResponse({ type: ReservationView })
  @AnswersErrors('VALIDATION_FAILED', 'RESERVATION_NOT_FOUND', 'UNAVAILABLE', 'INTERNAL')
  get(@Param() { orderId }: OrderIdParam): Promise<ReservationView> {
    return this.reservations.get(orderId);
  }

  @Post(':orderId/commit')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({ type: ReservationView, description: 'COMMITTED (sold); the same again when repeated' })
  @AnswersErrors(
    'VALIDATION_FAILED',
    'RESERVATION_NOT_FOUND',
    'HOLD_EXPIRED',
    'RESERVATION_RELEASED',
    'UNAVAILABLE',
    'INTERNAL',
  )
  commit(@Param() { orderId }: OrderIdParam): Promise<ReservationView> {
    return this.reservations.commit(orderId);
  }

  @Post(':orderId/release')
  @HttpCode(200)
  @RequiresToken('service')
  @ApiOkResponse({ type: ReservationView, description: 'RELEASED; the same again when repeated' })
  @AnswersErrors(...BODY_ERRORS, 'RESERVATION_NOT_FOUND', 'RESERVATION_COMMITTED', 'UNAVAILABLE', 'INTERNAL')
  release(@Param() { orderId }: OrderIdParam, @Body() body: ReleaseReservationDto): Promise<ReservationView> {
    return this.reservations.release(orderId, body.eventId);
  }
}
