import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorCode } from '@boxoffice/errors/error-code';
import { sendProblem } from '@boxoffice/http/problem.filter';
import { OrderConfig } from '../order.config';
import { OrderMetrics } from '../order-metrics';
import { BuyerTokens, unauthenticated } from './buyer-tokens';

/** Who places an order: the token's `sub`, or null when no token was sent and none is required (body's userId). */
export type Buyer = string | null;

const BEARER = /^Bearer +(\S+) *$/i;

/** POST /orders by its route, not its URL: `/orders?x` is the same route and must not go round the check. */
export function isPlaceOrder(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === '/orders';
}

/** The waiting room's routes that act for a buyer (docs/contract.md §2, _The waiting room_), by route. */
const ROOM_BUYER_ROUTES = new Set([
  'POST /events/:eventId/waiting-room/entries',
  'GET /events/:eventId/waiting-room/entries/:entryId',
]);

/** The routes whose buyer is authenticated here: POST /orders and the waiting room's entries. */
function actsForBuyer(request: FastifyRequest): boolean {
  return isPlaceOrder(request) || ROOM_BUYER_ROUTES.has(`${request.method} ${request.routeOptions.url}`);
}

/**
 * Authenticates POST /orders and the waiting room's entries (docs/contract.md §2, _Buyers_) in a Fastify onRequest hook, before the body is read
 * or anything else is answered: a sold-out storm's 409 (RefusalsFromMemory), a validation 400 and every answer
 * after them come only to a request whose buyer is known. The token is verified once per request; what it said is
 * kept for the request, for RefusalsFromMemory and the controller to read.
 */
@Injectable()
export class BuyerAuthentication implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('buyers');
  private tokens: BuyerTokens | null = null;
  private readonly buyers = new WeakMap<FastifyRequest, Buyer>();

  constructor(
    private readonly config: OrderConfig,
    private readonly adapter: HttpAdapterHost,
    private readonly metrics: OrderMetrics,
  ) {}

  // Runs once the routes are registered and before Fastify is ready: a hook added now applies to them.
  async onModuleInit(): Promise<void> {
    // The key is imported here, once: a request only verifies.
    if (this.config.buyers)
      this.tokens = await BuyerTokens.create(this.config.buyers, { logger: this.logger });
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRequest', (request, reply, done) => {
      if (!actsForBuyer(request)) return done();
      const header = request.headers.authorization;
      // No issuer, or no token where none is required: the body's userId, at no cost.
      if (!this.tokens || (header === undefined && !this.tokens.required)) {
        this.buyers.set(request, null);
        return done();
      }
      this.authenticate(request).then(
        () => done(),
        (error: unknown) => {
          if (isPlaceOrder(request)) this.metrics.refusedWith(errorCode(error));
          sendProblem(reply, error);
        },
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const tokens = this.tokens;
    if (!tokens) {
      this.logger.warn(
        "buyers are not authenticated: no BUYER_JWT_* settings, so POST /orders takes the body's userId on trust",
      );
      return;
    }
    if (tokens.required) this.logger.log(`buyers: a bearer token is required (${tokens.describe})`);
    else
      this.logger.warn(
        `buyers: a bearer token is verified when sent (${tokens.describe}); without one the body's userId is taken on trust (BUYER_JWT_REQUIRED=false)`,
      );
    // The issuer's JWKS now rather than at the first buyer's request; out of reach, the first request tries again.
    await tokens
      .warmUp()
      .catch((error: Error) =>
        this.logger.warn(`buyers: the issuer's JWKS could not be fetched yet: ${error.message}`),
      );
  }

  onApplicationShutdown(): void {
    this.tokens?.close();
  }

  /** The buyer once the hook has looked (undefined before): for RefusalsFromMemory, which must not wait. */
  known(request: FastifyRequest): Buyer | undefined {
    return this.buyers.get(request);
  }

  /** The request's buyer: what the hook found, or (should a request have gone round it) found now. */
  async buyerOf(request: FastifyRequest): Promise<Buyer> {
    const known = this.buyers.get(request);
    if (known !== undefined) return known;
    await this.authenticate(request);
    return this.buyers.get(request) ?? null;
  }

  private async authenticate(request: FastifyRequest): Promise<void> {
    const tokens = this.tokens;
    const header = request.headers.authorization;
    if (!tokens || (header === undefined && !tokens.required)) return void this.buyers.set(request, null);
    if (header === undefined) throw unauthenticated('no Authorization header');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw unauthenticated('the Authorization header is not "Bearer <token>"');
    this.buyers.set(request, await tokens.buyerOf(token));
  }
}
