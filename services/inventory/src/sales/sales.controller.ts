import { Body, Controller, Get, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EventIdParam } from '@boxoffice/contracts/id-param.dto';
import { PutSaleDto } from '@boxoffice/contracts/inventory/sale.dto';
import { SalesService, SaleWithLedger } from './sales.service';

@Controller('events')
export class SalesController {
  constructor(private readonly sales: SalesService) {}

  @Put(':eventId')
  async put(
    @Param() { eventId }: EventIdParam,
    @Body() body: PutSaleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SaleWithLedger> {
    const { created, sale } = await this.sales.put(eventId, body);
    reply.status(created ? 201 : 200);
    return sale;
  }

  @Get(':eventId')
  get(@Param() { eventId }: EventIdParam): Promise<SaleWithLedger> {
    return this.sales.get(eventId);
  }
}
