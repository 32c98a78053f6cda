import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import { CreateOrderDto, IDEMPOTENCY_KEY_PATTERN, OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(202)
  async place(
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new DomainError('VALIDATION_FAILED', 'The request is not valid', [
        { field: 'Idempotency-Key', messages: ['Idempotency-Key must be 1-255 printable characters'] },
      ]);
    }
    const order = await this.orders.place(body, idempotencyKey);
    reply.header('Location', `/orders/${order.orderId}`);
    return order;
  }

  @Get(':orderId')
  get(@Param() { orderId }: OrderIdParam): Promise<OrderView> {
    return this.orders.get(orderId);
  }
}
