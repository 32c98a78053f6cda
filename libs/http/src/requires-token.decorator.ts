import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { AnswersErrors } from './answers-errors.decorator';
import type { TokenKind } from './api-tokens';
import { BearerTokenGuard, REQUIRED_TOKEN } from './bearer-token.guard';

/**
 * The route answers only `Authorization: Bearer <token>` of this kind (ADMIN_TOKEN, SERVICE_TOKEN); anything else is
 * 401 UNAUTHORIZED before the body is even validated. The module provides API_TOKENS.
 */
export function RequiresToken(kind: TokenKind): MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_TOKEN, kind),
    UseGuards(BearerTokenGuard),
    ApiBearerAuth(kind),
    AnswersErrors('UNAUTHORIZED'),
  );
}
