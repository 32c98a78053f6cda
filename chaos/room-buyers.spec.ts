import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRoomBuyers, type RoomBuyersOptions } from './room-buyers';

/** A stand-in for order's room: answers by `answer(method, path)`; every request kept. */
async function fakeOrder(answer: (method: string, path: string) => { status: number; body: unknown }) {
  const seen: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      seen.push(`${request.method} ${request.url}`);
      const { status, body } = answer(request.method!, request.url!);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const options = (orderUrl: string): RoomBuyersOptions => ({
  orderUrls: [orderUrl],
  eventId: 'gig',
  arrivals: 2,
  userPrefix: 'b',
  concurrency: 1,
  arrivalsPerSecond: Infinity,
  buys: () => true,
  declineRate: 0,
  retryForMs: 1_000,
  requeues: 1,
});

describe('the chaos room buyers', () => {
  it('given a room whose sale sells out while buyer 0 waits, before buyer 1 arrives, when they go through, then each stops where told, orders nothing, and both are tallied told sold out', async () => {
    // given: b-0 queued, then told sold out at its first look; b-1 answered 409 SOLD_OUT as it arrives
    const order = await fakeOrder((method, path) => {
      if (method === 'GET') return { status: 200, body: { entryId: 'e-0', admitted: false, soldOut: true } };
      if (path.endsWith('/entries') && order.seen.length === 1)
        return { status: 201, body: { entryId: 'e-0', position: 1, pollAfterSeconds: 0 } };
      return { status: 409, body: { code: 'SOLD_OUT', message: 'sold out' } };
    });

    try {
      // when
      const tally = await startRoomBuyers(options(order.url)).done;

      // then
      expect(order.seen).toEqual([
        'POST /events/gig/waiting-room/entries',
        'POST /events/gig/waiting-room/entries',
        'GET /events/gig/waiting-room/entries/e-0',
      ]);
      expect(tally.toldSoldOut).toEqual([
        { userId: 'b-1', route: 'enter', at: expect.any(Number) },
        { userId: 'b-0', route: 'look', at: expect.any(Number) },
      ]);
      expect(tally).toMatchObject({ sent: 2, queued: 1, purchases: [], anomalies: [] });
      expect(tally.roomAnswers.find((a) => a.route === 'look')).toMatchObject({ status: 200, soldOut: true });
      expect(tally.answers).toEqual({ 'enter 201': 1, 'enter 409 SOLD_OUT': 1, 'look 200 soldOut': 1 });
    } finally {
      await order.close();
    }
  });
});
