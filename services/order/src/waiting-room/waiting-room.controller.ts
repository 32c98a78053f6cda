import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventIdParam } from '@boxoffice/contracts/id-param.dto';
import {
  AdmittedEntryView,
  ENTER_WAITING_ROOM_SCHEMA,
  ExpiredEntryView,
  SoldOutEntryView,
  EnterWaitingRoomDto,
  EntryIdParam,
  WAITING_ROOM_SETTINGS_SCHEMA,
  WaitingEntryView,
  WaitingRoomSettingsDto,
  WaitingRoomStatus,
  WaitingRoomView,
  type EnterWaitingRoomBody,
  type WaitingRoomSettingsBody,
} from '@boxoffice/contracts/order/waiting-room.dto';
import { AnswersErrors, BODY_ERRORS } from '@boxoffice/http/answers-errors.decorator';
import { RequiresToken } from '@boxoffice/http/requires-token.decorator';
import { BuyerAuthentication } from '../buyers/buyer-authentication';
import { placedBy } from '../buyers/placed-by';
import { prefersHtml } from './page/html-negotiation';
import { sendRoomPage } from './page/room-page';
import { WaitingRoomService } from './waiting-room.service';

/** A sale's waiting room (docs/contract.md §2, _The waiting room_). */
@ApiTags('waiting room')
@Controller('events/:eventId/waiting-room')
export class WaitingRoomController {
  constructor(
    private readonly room: WaitingRoomService,
    private readonly buyers: BuyerAuthentication,
  ) {}

  @Put()
  @RequiresToken('admin')
  @RouteSchema({ body: WAITING_ROOM_SETTINGS_SCHEMA })
  @ApiBody({ type: WaitingRoomSettingsDto })
  @ApiOkResponse({ type: WaitingRoomView })
  @AnswersErrors(...BODY_ERRORS, 'UNAVAILABLE', 'INTERNAL')
  set(@Param() { eventId }: EventIdParam, @Body() body: WaitingRoomSettingsBody): Promise<WaitingRoomView> {
    return this.room.set(eventId, body);
  }

  @Get()
  @ApiProduces('application/json', 'text/html')
  @ApiExtraModels(WaitingRoomStatus)
  @ApiOkResponse({
    description: 'JSON by default; the page for a browser (an Accept that prefers text/html)',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(WaitingRoomStatus) } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  @AnswersErrors(
    'VALIDATION_FAILED',
    'WAITING_ROOM_NOT_FOUND',
    'WAITING_ROOM_CLOSED',
    'UNAVAILABLE',
    'INTERNAL',
  )
  status(
    @Param() { eventId }: EventIdParam,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitingRoomStatus> | string {
    // One URL, two representations: a cache must key on Accept.
    reply.header('Vary', 'Accept');
    if (prefersHtml(request.headers.accept)) return sendRoomPage(reply, 'html');
    return this.room.status(eventId);
  }

  @Post('entries')
  @HttpCode(201)
  @RouteSchema({ body: ENTER_WAITING_ROOM_SCHEMA })
  @ApiBody({ type: EnterWaitingRoomDto, required: false })
  @ApiBearerAuth('buyer')
  @ApiOkResponse({ type: WaitingEntryView, description: "The buyer's entry already (one per buyer)" })
  @ApiCreatedResponse({ type: WaitingEntryView, description: 'A new entry' })
  @AnswersErrors(
    ...BODY_ERRORS,
    'UNAUTHENTICATED',
    'BUYER_MISMATCH',
    'SOLD_OUT',
    'WAITING_ROOM_NOT_FOUND',
    'WAITING_ROOM_CLOSED',
    'UNAVAILABLE',
    'INTERNAL',
  )
  async enter(
    @Param() { eventId }: EventIdParam,
    @Body() body: EnterWaitingRoomBody | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitingEntryView> {
    const { userId } = placedBy(body ?? {}, await this.buyers.buyerOf(request));
    const { created, entry } = await this.room.enter(eventId, userId);
    if (!created) reply.status(200);
    return entry;
  }

  @Get('entries/:entryId')
  @ApiBearerAuth('buyer')
  @ApiExtraModels(WaitingEntryView, AdmittedEntryView, ExpiredEntryView, SoldOutEntryView)
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(WaitingEntryView) },
        { $ref: getSchemaPath(AdmittedEntryView) },
        { $ref: getSchemaPath(ExpiredEntryView) },
        { $ref: getSchemaPath(SoldOutEntryView) },
      ],
    },
  })
  @AnswersErrors(
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'ENTRY_NOT_FOUND',
    'WAITING_ROOM_NOT_FOUND',
    'WAITING_ROOM_CLOSED',
    'UNAVAILABLE',
    'INTERNAL',
  )
  async look(
    @Param() { eventId, entryId }: EntryIdParam,
    @Req() request: FastifyRequest,
  ): Promise<WaitingEntryView | AdmittedEntryView | ExpiredEntryView | SoldOutEntryView> {
    return this.room.look(eventId, entryId, await this.buyers.buyerOf(request));
  }
}
