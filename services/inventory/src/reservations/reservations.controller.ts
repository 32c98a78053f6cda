import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import {
  ReleaseReservationDto,
  ReservationView,
  ReserveStockDto,
} from '@boxoffice/contracts/inventory/reservation.dto';
import { ReservationsService } from './reservations.service';

@Controller('reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post()
  @HttpCode(201)
  reserve(@Body() body: ReserveStockDto): Promise<ReservationView> {
    return this.reservations.reserve(body);
  }

  @Get(':orderId')
  get(@Param() { orderId }: OrderIdParam): Promise<ReservationView> {
    return this.reservations.get(orderId);
  }

  @Post(':orderId/commit')
  @HttpCode(200)
  commit(@Param() { orderId }: OrderIdParam): Promise<ReservationView> {
    return this.reservations.commit(orderId);
  }

  @Post(':orderId/release')
  @HttpCode(200)
  release(@Param() { orderId }: OrderIdParam, @Body() body: ReleaseReservationDto): Promise<ReservationView> {
    return this.reservations.release(orderId, body.eventId);
  }
}
