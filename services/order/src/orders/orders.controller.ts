import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OrderIdParam } from '@boxoffice/contracts/id-param.dto';
import {
  CREATE_ORDER_SCHEMA,
  CreateOrderDto,
  IDEMPOTENCY_KEY_PATTERN,
  OrderView,
  type CreateOrderBody,
} from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { AnswersErrors, BODY_ERRORS } from '@boxoffice/http/answers-errors.decorator';
import { BuyerAuthentication } from '../buyers/buyer-authentication';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly buyers: BuyerAuthentication,
  ) {}

  @Post()
  @HttpCode(202)
  // Validated by Fastify against the schema compiled at boot; typed as a plain shape, the body skips the global
  // validation pipe (class-transformer and class-validator per request), and CreateOrderDto documents it.
  @RouteSchema({ body: CREATE_ORDER_SCHEMA })
  @ApiBody({ type: CreateOrderDto })
  @ApiHeader({
    name: 'Admission-Token',
    required: false,
    description: "While the sale's waiting room is on: the admission token its entry was given",
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'The same key and body answer the first answer again, never a second order',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source, maxLength: 255 },
  })
  // The buyer's token (BUYER_JWT_*): its sub is the buyer; required unless BUYER_JWT_REQUIRED=false or unset up.
  @ApiBearerAuth('buyer')
  @ApiAcceptedResponse({
    type: OrderView,
    description: 'Tickets held, order CREATED; it ends CONFIRMED or CANCELLED',
    headers: { Location: { description: '/orders/{orderId}', schema: { type: 'string' } } },
  })
  @AnswersErrors(
    ...BODY_ERRORS,
    'UNAUTHENTICATED',
    'BUYER_MISMATCH',
    'EVENT_NOT_FOUND',
    'SOLD_OUT',
    'PURCHASE_LIMIT_EXCEEDED',
    'IDEMPOTENCY_KEY_REUSED',
    'WAITING_ROOM',
    'INTERNAL',
    'UNAVAILABLE',
    'OVERLOADED',
    'WAITING_ROOM_CLOSED',
    'OUTCOME_UNKNOWN',
  )
  async place(
    @Body() body: CreateOrderBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('admission-token') admissionToken: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new DomainError('VALIDATION_FAILED', 'The request is not valid', [
        { field: 'Idempotency-Key', messages: ['Idempotency-Key must be 1-255 printable characters'] },
      ]);
    }
    const buyer = await this.buyers.buyerOf(request);
    const order = await this.orders.place(body, buyer, idempotencyKey, admissionToken);
    reply.header('Location', `/orders/${order.orderId}`);
    return order;
  }

  @Get(':orderId')
  @ApiOkResponse({ type: OrderView })
  @AnswersErrors('VALIDATION_FAILED', 'ORDER_NOT_FOUND', 'UNAVAILABLE', 'INTERNAL')
  get(@Param() { orderId }: OrderIdParam): Promise<OrderView> {
    return this.orders.get(orderId);
  }
}
