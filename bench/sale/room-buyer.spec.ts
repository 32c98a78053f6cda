import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { newRoomRecord, openRoom, roomBuyerOf } from './room-buyer';
import type { Order } from './sale-requests';

/** A stand-in for order's room: each request answered by the next of `answers`; every request and body kept. */
async function fakeRoom(answers: Array<{ status: number; body?: unknown }>) {
  const seen: string[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    let received = '';
    request.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push(received);
      const { status, body } = answers.shift() ?? { status: 500 };
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { code: 'UNAVAILABLE' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = new Pool(url);
  return {
    url,
    pool,
    seen,
    bodies,
    close: async () => {
      await pool.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('npm run sale: a buyer through the waiting room', () => {
  const orders: Array<[number, string | undefined]> = [];
  const order: Order = async (index, admissionToken) => {
    orders.push([index, admissionToken]);
    return { status: 202, orderId: `o${index}` };
  };
  beforeEach(() => orders.splice(0));

  it('given an admission that expired before its buyer looked, when the buyer goes through, then it queues again and buys with the next admission', async () => {
    // given
    const room = await fakeRoom([
      { status: 201, body: { entryId: 'e1', position: 1, pollAfterSeconds: 0 } },
      { status: 200, body: { entryId: 'e1', admitted: false, expired: true } },
      { status: 201, body: { entryId: 'e2', position: 2, pollAfterSeconds: 0 } },
      { status: 200, body: { entryId: 'e2', admitted: true, admissionToken: 'token-2' } },
    ]);
    const record = newRoomRecord();

    try {
      // when
      const answer = await roomBuyerOf(room.pool, { eventId: 'gig', users: 10 }, order, record)(3);

      // then
      expect(room.seen).toEqual([
        'POST /events/gig/waiting-room/entries',
        'GET /events/gig/waiting-room/entries/e1',
        'POST /events/gig/waiting-room/entries',
        'GET /events/gig/waiting-room/entries/e2',
      ]);
      expect(orders).toEqual([[3, 'token-2']]);
      expect(answer).toMatchObject({ status: 202, orderId: 'o3', admittedAt: expect.any(Number) });
      expect(record).toMatchObject({ entered: 1, admitted: 1, polls: 2, failures: {} });
      expect(record.waitsMs).toHaveLength(1);
    } finally {
      await room.close();
    }
  });

  it('given a room that answers 503 to an entry, or 404 to a poll, when buyers go through, then each ends there with that status, counted by kind, and orders nothing', async () => {
    // given
    const room = await fakeRoom([
      { status: 503 },
      { status: 201, body: { entryId: 'e1', position: 1, pollAfterSeconds: 0 } },
      { status: 404, body: { code: 'ENTRY_NOT_FOUND' } },
    ]);
    const record = newRoomRecord();
    const buyer = roomBuyerOf(room.pool, { eventId: 'gig', users: 10 }, order, record);

    try {
      // when
      const first = await buyer(0);
      const second = await buyer(1);

      // then
      expect([first, second]).toEqual([{ status: 503 }, { status: 404 }]);
      expect(record.failures).toEqual({ 'entry 503': 1, 'poll 404': 1 });
      expect(orders).toEqual([]);
    } finally {
      await room.close();
    }
  });

  it('given a sale that sells out while one buyer waits and before another arrives, when both go through, then each stops where it is told, orders nothing, and is counted told sold out (the waiting one with when)', async () => {
    // given
    const room = await fakeRoom([
      { status: 201, body: { entryId: 'e1', position: 7, pollAfterSeconds: 0 } },
      { status: 200, body: { entryId: 'e1', position: 7, pollAfterSeconds: 0 } },
      { status: 200, body: { entryId: 'e1', admitted: false, soldOut: true } },
      { status: 409, body: { code: 'SOLD_OUT', message: 'sold out' } },
    ]);
    const record = newRoomRecord();
    const buyer = roomBuyerOf(room.pool, { eventId: 'gig', users: 10 }, order, record);

    try {
      // when
      const before = Date.now();
      const waiting = await buyer(0);
      const late = await buyer(1);

      // then
      expect(room.seen).toEqual([
        'POST /events/gig/waiting-room/entries',
        'GET /events/gig/waiting-room/entries/e1',
        'GET /events/gig/waiting-room/entries/e1',
        'POST /events/gig/waiting-room/entries',
      ]);
      expect([waiting, late]).toEqual([
        { status: 409, toldSoldOut: true },
        { status: 409, toldSoldOut: true },
      ]);
      expect(orders).toEqual([]);
      expect(record).toMatchObject({ entered: 1, admitted: 0, polls: 2, failures: {}, toldSoldOut: 2 });
      expect(record.toldSoldOutWaitingAtMs).toEqual([expect.any(Number)]);
      expect(record.toldSoldOutWaitingAtMs[0]).toBeGreaterThanOrEqual(before);
    } finally {
      await room.close();
    }
  });

  it('given "auto" as the rate, when the room is opened, then it is sent as it is, and a refusal comes back with the server\'s answer', async () => {
    // given: the server of today, which does not take "auto" yet
    const room = await fakeRoom([{ status: 400, body: { code: 'VALIDATION_FAILED' } }]);

    try {
      // when
      const opening = openRoom({ serviceUrls: { order: room.url }, adminToken: 'admin' }, 'gig', {
        admitPerSecond: 'auto',
        preQueueSeconds: null,
      });

      // then
      await expect(opening).rejects.toThrow(
        'PUT /events/gig/waiting-room answered 400: {"code":"VALIDATION_FAILED"}',
      );
      expect(room.seen).toEqual(['PUT /events/gig/waiting-room']);
      expect(JSON.parse(room.bodies[0])).toEqual({ enabled: true, admitPerSecond: 'auto' });
    } finally {
      await room.close();
    }
  });
});
