import { Body, Controller, Get, Param, Put, Res } from '@nestjs/common';
import { ApiOkResponse, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EventIdParam } from '@boxoffice/contracts/id-param.dto';
import { PutSaleDto, SaleView } from '@boxoffice/contracts/inventory/sale.dto';
import { AnswersErrors, BODY_ERRORS } from '@boxoffice/http/answers-errors.decorator';
import { RequiresToken } from '@boxoffice/http/requires-token.decorator';
import { SalesService } from './sales.service';

@ApiTags('sales')
@Controller('events')
export class SalesController {
  constructor(private readonly sales: SalesService) {}

  @Put(':eventId')
  @RequiresToken('admin')
  @ApiCreatedResponse({ type: SaleView, description: 'Created' })
  @ApiOkResponse({ type: SaleView, description: 'Changed; what was held or sold is kept' })
  @AnswersErrors(...BODY_ERRORS, 'STOCK_BELOW_ALLOCATED', 'UNAVAILABLE', 'INTERNAL')
  async put(
    @Param() { eventId }: EventIdParam,
    @Body() body: PutSaleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SaleView> {
    const { created, sale } = await this.sales.put(eventId, body);
    reply.status(created ? 201 : 200);
    return sale;
  }

  @Get(':eventId')
  @ApiOkResponse({ type: SaleView })
  @AnswersErrors('VALIDATION_FAILED', 'EVENT_NOT_FOUND', 'UNAVAILABLE', 'INTERNAL')
  get(@Param() { eventId }: EventIdParam): Promise<SaleView> {
    return this.sales.get(eventId);
  }
}
