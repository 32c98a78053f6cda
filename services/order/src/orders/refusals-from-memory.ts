import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_PATTERN, type CreateOrderBody } from '@boxoffice/contracts/order/order.dto';
import { errorCode } from '@boxoffice/errors/error-code';
import { sendProblem } from '@boxoffice/http/problem.filter';
import { BuyerAuthentication, isPlaceOrder } from '../buyers/buyer-authentication';
import { placedBy } from '../buyers/placed-by';
import { OrderMetrics } from '../order-metrics';
import { OrderSaga } from '../saga/order-saga';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import { RoomSettings } from '../waiting-room/room-settings';

/**
 * A sold-out storm's POST /orders answered in a Fastify preHandler, before Nest's pipeline (router, pipes, exception
 * filter): Fastify has validated the body against the route's schema by then, and OrderSaga decides the answer just
 * as OrdersController's call would (refusalFromMemory: a SOLD_OUT, or a keyed buyer's 503 when its key cannot be
 * read), answered through the same sendProblem. Every other request
 * goes on to the controller untouched.
 */
@Injectable()
export class RefusalsFromMemory implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly saga: OrderSaga,
    private readonly soldOut: SoldOutSales,
    private readonly metrics: OrderMetrics,
    private readonly buyers: BuyerAuthentication,
    private readonly rooms: RoomSettings,
  ) {}

  // Runs once the routes are registered and before Fastify is ready: a hook added now applies to them.
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('preHandler', (request, reply, done) => {
      if (!isPlaceOrder(request)) return done();
      const body = request.body as CreateOrderBody;
      // Nothing remembered for the sale: no promise, no work, straight on to the controller.
      if (!this.soldOut.remembers(body.eventId, body.quantity)) return done();
      // A sale with its waiting room on: the controller checks the admission token first, and only an admitted
      // buyer may learn the sale is sold out (docs/contract.md §2, _Admission tokens_).
      if (this.rooms.isOn(body.eventId)) return done();
      // Only a request whose buyer is known and agrees with its body is answered here: BuyerAuthentication has
      // answered 401 already, and a 400 or 403 for the buyer is the controller's, first as ever.
      if (!this.buyerAgrees(request, body)) return done();
      this.refuse(request, reply, body).then(
        (answered) => answered || done(),
        () => done(),
      );
    });
  }

  private buyerAgrees(request: FastifyRequest, body: CreateOrderBody): boolean {
    const buyer = this.buyers.known(request);
    if (buyer === undefined) return false;
    try {
      placedBy(body, buyer);
      return true;
    } catch {
      return false;
    }
  }

  /** True when answered here; false sends the request on, as does a throw. */
  private async refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    body: CreateOrderBody,
  ): Promise<boolean> {
    const key = request.headers['idempotency-key'];
    // A bad key is the controller's 422, and two keys (an array) are not one.
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key))) return false;
    const refusal = await this.saga.refusalFromMemory(body, key);
    if (!refusal) return false;
    this.metrics.refusedWith(errorCode(refusal));
    sendProblem(reply, refusal);
    return true;
  }
}
