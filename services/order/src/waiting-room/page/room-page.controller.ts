import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { sendRoomPage } from './room-page';

/** The waiting room page's scripts and stylesheet (docs/contract.md §2, _The waiting room's page_): not API. */
@ApiExcludeController()
@Controller('waiting-room')
export class RoomPageController {
  @Get('room-page.js')
  script(@Res({ passthrough: true }) reply: FastifyReply): string {
    return sendRoomPage(reply, 'js');
  }

  @Get('room-words.js')
  words(@Res({ passthrough: true }) reply: FastifyReply): string {
    return sendRoomPage(reply, 'words');
  }

  @Get('room-page.css')
  stylesheet(@Res({ passthrough: true }) reply: FastifyReply): string {
    return sendRoomPage(reply, 'css');
  }
}
