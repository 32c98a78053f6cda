import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@boxoffice/errors/domain-error';
import { API_TOKENS, TOKEN_SETTINGS, type ApiTokens, type TokenKind } from './api-tokens';
import { matchesDigest, tokenDigest } from './token-digest';

export const REQUIRED_TOKEN = Symbol('REQUIRED_TOKEN');

/** Lets a `@RequiresToken(kind)` route run only for `Authorization: Bearer <that token>`; 401 UNAUTHORIZED otherwise. */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly digests = new Map<TokenKind, Buffer>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(API_TOKENS) tokens: ApiTokens,
  ) {
    for (const [kind, token] of Object.entries(tokens)) {
      if (token) this.digests.set(kind as TokenKind, tokenDigest(token));
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const kind = this.reflector.get<TokenKind | undefined>(REQUIRED_TOKEN, context.getHandler());
    if (!kind) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    const expected = this.digests.get(kind);
    // Guards run before validation: a caller without the token learns nothing about the body it sent.
    if (presented === undefined || !expected || !matchesDigest(presented, expected)) {
      throw new DomainError(
        'UNAUTHORIZED',
        `This call needs Authorization: Bearer <${TOKEN_SETTINGS[kind]}>`,
      );
    }
    return true;
  }
}
