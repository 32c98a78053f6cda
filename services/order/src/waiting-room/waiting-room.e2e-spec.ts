import { SignJWT } from 'jose';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { scrapeMetrics } from '@boxoffice/testing/scraped-metrics';
import { TestIssuer } from '@boxoffice/testing/test-issuer';
import { AS_ADMIN, TEST_TOKENS } from '@boxoffice/testing/test-tokens';
import { keptOf, OrderTestApp, startOrderStack } from '../order.test-app';
import { KeyReads } from '../idempotency/key-reads';
import { ADMISSION_ISSUER } from './admission-tokens';
import { roomKeys } from '@boxoffice/contracts/order/room-keys';
import { openRedis } from '@boxoffice/redis/open-redis';
import { TEST_REDIS_URL } from '@boxoffice/testing/test-namespace';
import type Redis from 'ioredis';

type Headers = Record<string, string>;

describe('The waiting room (e2e: buyer tokens, real Redis, Postgres, inventory, RabbitMQ)', () => {
  let stack: OrderTestApp;
  let issuer: TestIssuer;
  let redis: Redis;

  const putRoom = (eventId: string, body: object, headers: Headers = AS_ADMIN) =>
    stack.http().put(`/events/${eventId}/waiting-room`).set(headers).send(body);
  const enter = (eventId: string, headers: Headers, body: object = {}) =>
    stack.http().post(`/events/${eventId}/waiting-room/entries`).set(headers).send(body);
  const look = (eventId: string, entryId: string, headers: Headers) =>
    stack.http().get(`/events/${eventId}/waiting-room/entries/${entryId}`).set(headers);
  const order = (body: object, headers: Headers) => stack.http().post('/orders').set(headers).send(body);
  /** The buyer queued and admitted (the room admits fast): their token. */
  const admitted = async (eventId: string, buyer: Headers): Promise<string> => {
    // A buyer queued already (their entry admitted, its token not spent) is answered 200 with that entry.
    const { body } = await enter(eventId, buyer).expect((answer) =>
      expect([200, 201]).toContain(answer.status),
    );
    const entry = await eventually(
      async () =>
        (await look(eventId, body.entryId, buyer).expect(200)).body.admitted &&
        (await look(eventId, body.entryId, buyer)).body,
      {
        what: 'the entry admitted',
      },
    );
    return entry.admissionToken as string;
  };

  beforeAll(async () => {
    issuer = await TestIssuer.create('ES256');
    stack = await startOrderStack('waiting_room', {
      order: { ...(await issuer.env()), ORDER_SOLD_OUT_MEMORY_MS: '10000' },
    });
    redis = openRedis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
  });

  describe('settings', () => {
    it('given no admin token (none, a buyer’s), when setting a room, then 401 UNAUTHORIZED and no room', async () => {
      await putRoom('no_admin', { enabled: true, admitPerSecond: 5 }, {}).expect(401);
      const { body } = await putRoom(
        'no_admin',
        { enabled: true, admitPerSecond: 5 },
        await issuer.as('alice'),
      ).expect(401);

      expect(body.code).toBe('UNAUTHORIZED');
      expect((await stack.http().get('/events/no_admin/waiting-room').expect(404)).body.code).toBe(
        'WAITING_ROOM_NOT_FOUND',
      );
    });

    it.each([
      ['admitPerSecond 0', { enabled: true, admitPerSecond: 0 }, 'admitPerSecond'],
      ['admitPerSecond over 10000', { enabled: true, admitPerSecond: 10_001 }, 'admitPerSecond'],
      ['admitPerSecond "5" (no coercion)', { enabled: true, admitPerSecond: '5' }, 'admitPerSecond'],
      ['admitPerSecond "Auto"', { enabled: true, admitPerSecond: 'Auto' }, 'admitPerSecond'],
      ['admitPerSecond 2.5', { enabled: true, admitPerSecond: 2.5 }, 'admitPerSecond'],
      ['no enabled', { admitPerSecond: 5 }, 'enabled'],
      ['enabled "yes"', { enabled: 'yes', admitPerSecond: 5 }, 'enabled'],
      [
        'preQueueUntil not a time',
        { enabled: true, admitPerSecond: 5, preQueueUntil: 'tomorrow' },
        'preQueueUntil',
      ],
      ['an unknown field', { enabled: true, admitPerSecond: 5, capacity: 10 }, 'capacity'],
    ])(
      'given %s, when setting a room, then 400 VALIDATION_FAILED naming the field',
      async (_, body, field) => {
        const { body: answer } = await putRoom('invalid', body).expect(400);

        expect(answer.code).toBe('VALIDATION_FAILED');
        expect(answer.details.map((detail: { field: string }) => detail.field)).toContain(field);
      },
    );

    it('given admitPerSecond "auto", when setting a room, then answered "auto", and the status shows the mode and the rate it opens at (WAITING_ROOM_AUTO_MIN_PER_SECOND)', async () => {
      const { body } = await putRoom('auto', { enabled: true, admitPerSecond: 'auto' }).expect(200);

      expect(body).toMatchObject({ eventId: 'auto', enabled: true, admitPerSecond: 'auto' });
      const status = (await stack.http().get('/events/auto/waiting-room').expect(200)).body;
      expect(status).toMatchObject({ enabled: true, mode: 'auto', admitPerSecond: 10 });
      const [row] = await stack.db.query(
        `SELECT admit_auto, admit_per_second FROM waiting_rooms WHERE event_id = 'auto'`,
      );
      expect(row).toEqual({ admit_auto: true, admit_per_second: 10 });
    });

    it('given an auto room, when set to a fixed rate, then it admits at that rate (mode fixed)', async () => {
      await putRoom('auto-then-fixed', { enabled: true, admitPerSecond: 'auto' }).expect(200);

      await putRoom('auto-then-fixed', { enabled: true, admitPerSecond: 7 }).expect(200);

      const status = (await stack.http().get('/events/auto-then-fixed/waiting-room').expect(200)).body;
      expect(status).toMatchObject({ mode: 'fixed', admitPerSecond: 7 });
    });

    it('given valid settings, when set, then answered and shown by the status, and kept in Postgres', async () => {
      const preQueueUntil = new Date(Date.now() + 3_600_000).toISOString();

      const { body } = await putRoom('settings', { enabled: true, admitPerSecond: 25, preQueueUntil }).expect(
        200,
      );

      expect(body).toEqual({
        eventId: 'settings',
        enabled: true,
        admitPerSecond: 25,
        preQueueUntil,
        updatedAt: expect.any(String),
      });
      const status = await stack.http().get('/events/settings/waiting-room').expect(200);
      expect(status.body).toEqual({
        enabled: true,
        mode: 'fixed',
        admitPerSecond: 25,
        queued: 0,
        admitted: 0,
        longestEstimatedWaitSeconds: expect.any(Number),
        preQueueUntil,
        stock: 'unknown', // no sale "settings" in inventory
      });
      const [row] = await stack.db.query(
        `SELECT enabled, admit_per_second FROM waiting_rooms WHERE event_id = 'settings'`,
      );
      expect(row).toEqual({ enabled: true, admit_per_second: 25 });
    });
  });

  describe('entries', () => {
    it('given a room, when three buyers queue one after another, then their positions are first come first served, 201 each, and asking again is 200 with the same entry', async () => {
      await putRoom('fifo', { enabled: true, admitPerSecond: 1 }).expect(200);
      const buyers = await Promise.all(['ann', 'ben', 'cat'].map((name) => issuer.as(name)));

      const entries = [];
      for (const buyer of buyers) entries.push((await enter('fifo', buyer).expect(201)).body);
      const again = await enter('fifo', buyers[1]).expect(200);

      expect(entries.map((entry) => entry.position)).toEqual([1, 2, 3]);
      expect(entries[2]).toEqual({
        entryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        position: 3,
        estimatedWaitSeconds: expect.any(Number),
        pollAfterSeconds: expect.any(Number),
      });
      expect(entries[2].estimatedWaitSeconds).toBeGreaterThanOrEqual(1);
      expect(again.body).toMatchObject({ entryId: entries[1].entryId, position: 2 });
      // One a second: the third is not served yet (it would take two seconds)
      const third = (await look('fifo', entries[2].entryId, buyers[2]).expect(200)).body;
      expect(third).toMatchObject({ entryId: entries[2].entryId, position: 3 });
      expect(third.admitted).toBeUndefined();
      const status = (await stack.http().get('/events/fifo/waiting-room').expect(200)).body;
      expect(status.queued + status.admitted).toBe(3);
    });

    it('given buyer tokens, when queueing without one, with a bad one or naming another userId, then 401 UNAUTHENTICATED or 403 BUYER_MISMATCH', async () => {
      await putRoom('who', { enabled: true, admitPerSecond: 1 }).expect(200);

      expect((await enter('who', {}).expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await enter('who', await issuer.as('dan', { expiresIn: -60 })).expect(401)).body.code).toBe(
        'UNAUTHENTICATED',
      );
      expect((await enter('who', await issuer.as('dan'), { userId: 'eve' }).expect(403)).body.code).toBe(
        'BUYER_MISMATCH',
      );
      expect(
        (await enter('who', await issuer.as('dan'), { userId: 'dan', extra: 1 }).expect(400)).body.code,
      ).toBe('VALIDATION_FAILED');
    });

    it('given a room off or never set, when queueing, then 404 WAITING_ROOM_NOT_FOUND', async () => {
      await putRoom('off', { enabled: false, admitPerSecond: 1 }).expect(200);

      expect((await enter('off', await issuer.as('fay')).expect(404)).body.code).toBe(
        'WAITING_ROOM_NOT_FOUND',
      );
      expect((await enter('never', await issuer.as('fay')).expect(404)).body.code).toBe(
        'WAITING_ROOM_NOT_FOUND',
      );
    });

    it('given an entry, when another buyer asks for it, then 404 ENTRY_NOT_FOUND as for an unknown one', async () => {
      await putRoom('mine', { enabled: true, admitPerSecond: 1 }).expect(200);
      const { body } = await enter('mine', await issuer.as('gus')).expect(201);

      const other = await look('mine', body.entryId, await issuer.as('hal')).expect(404);
      const unknown = await look(
        'mine',
        '0b8e2c1a-5f4d-4e8b-9a43-2c7d1e6f9a10',
        await issuer.as('gus'),
      ).expect(404);

      expect(other.body.code).toBe('ENTRY_NOT_FOUND');
      expect(unknown.body.code).toBe('ENTRY_NOT_FOUND');
    });

    it('given 50 buyers who arrive before preQueueUntil, when it passes, then their positions are a permutation of 1..50 other than their arrival order, and a later buyer comes after them', async () => {
      // Statistical, not seeded: the shuffle keeps the arrival order with probability 1/50! (about 3e-65).
      // Arrivals well before the pre-queue's end, whatever the machine's speed; then the end is set a moment ahead.
      await putRoom('shuffle', {
        enabled: true,
        admitPerSecond: 1,
        preQueueUntil: new Date(Date.now() + 3_600_000).toISOString(),
      }).expect(200);
      const buyers = await Promise.all(Array.from({ length: 50 }, (_, i) => issuer.as(`early-${i}`)));
      const arrivals = [];
      for (const buyer of buyers) arrivals.push((await enter('shuffle', buyer).expect(201)).body);
      expect(arrivals.every((entry) => entry.position === null)).toBe(true);
      expect(arrivals[0].estimatedWaitSeconds).toBeGreaterThanOrEqual(3600);
      const preQueueUntil = new Date(Date.now() + 1000).toISOString();
      await putRoom('shuffle', { enabled: true, admitPerSecond: 1, preQueueUntil }).expect(200);

      // when: the pre-queue's end passes (the first request after it shuffles; an early buyer asking again sees it)
      await eventually(async () => (await enter('shuffle', buyers[0]).expect(200)).body.position !== null, {
        what: 'the pre-queue shuffled',
        timeoutMs: 15_000,
      });
      const late = (await enter('shuffle', await issuer.as('late')).expect(201)).body;

      // then (asking again answers the entry's position, admitted or not)
      const positions: number[] = [];
      for (const buyer of buyers) positions.push((await enter('shuffle', buyer).expect(200)).body.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(positions).not.toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(late.position).toBe(51);
    });
  });

  describe('admission and POST /orders', () => {
    beforeAll(async () => {
      await putSale(stack.inventory, 'sale', { totalStock: 50, perUserLimit: 2 });
      await putSale(stack.inventory, 'other', { totalStock: 50, perUserLimit: 2 });
      await putRoom('sale', { enabled: true, admitPerSecond: 1000 }).expect(200);
      await putRoom('other', { enabled: true, admitPerSecond: 1000 }).expect(200);
    });

    it('given an entry whose turn came, when looked at, then admitted with a token for the buyer and sale, the same token when asked again', async () => {
      const buyer = await issuer.as('ida');
      const { body } = await enter('sale', buyer).expect(201);

      const first = await eventually(
        async () => {
          const answer = (await look('sale', body.entryId, buyer).expect(200)).body;
          return answer.admitted && answer;
        },
        { what: 'admitted' },
      );
      const again = (await look('sale', body.entryId, buyer).expect(200)).body;

      expect(first).toEqual({
        entryId: body.entryId,
        admitted: true,
        admissionToken: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(again).toEqual(first);
      const claims = JSON.parse(Buffer.from(first.admissionToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({
        sub: 'ida',
        eventId: 'sale',
        entryId: body.entryId,
        iss: ADMISSION_ISSUER,
        jti: expect.any(String),
      });
      expect(claims.exp * 1000).toBe(Date.parse(first.expiresAt));
      expect(Date.parse(first.expiresAt) - Date.now()).toBeGreaterThan(500_000);
    });

    it('given the room on, when ordering without an Admission-Token, then 429 WAITING_ROOM with Retry-After and where to queue, nothing kept', async () => {
      const before = await keptOf(stack, 'sale');

      const answer = await order({ eventId: 'sale', quantity: 1 }, await issuer.as('jon')).expect(429);

      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.body).toEqual({
        code: 'WAITING_ROOM',
        message: expect.any(String),
        queue: '/events/sale/waiting-room/entries',
      });
      expect(await keptOf(stack, 'sale')).toEqual(before);
    });

    it.each([
      [
        'forged (signed with another secret)',
        async () => sign({ secret: 'another-secret-of-at-least-32-characters' }),
      ],
      ['expired', async () => sign({ expSeconds: -60 })],
      ['another buyer’s', async () => sign({ sub: 'someone-else' })],
      ['another sale’s', async () => admitted('other', await issuer.as('kim'))],
      ['of another issuer', async () => sign({ issuer: 'https://evil.example' })],
      ['not a JWT', async () => 'not.a.token'],
    ])('given a token %s, when ordering with it, then 429 WAITING_ROOM, nothing kept', async (_, token) => {
      const admission = await token();
      const before = await keptOf(stack, 'sale');

      const answer = await order(
        { eventId: 'sale', quantity: 1 },
        { ...(await issuer.as('kim')), 'admission-token': admission },
      ).expect(429);

      expect(answer.body.code).toBe('WAITING_ROOM');
      expect(await keptOf(stack, 'sale')).toEqual(before);
    });

    it('given an admitted buyer, when ordering with the token, then 202; the same token again is 429 (spent), but a retry under the same Idempotency-Key answers its 202; under another key, refused without reading that key', async () => {
      const buyer = await issuer.as('lea');
      const token = await admitted('sale', buyer);
      const headers = { ...buyer, 'admission-token': token };

      const bought = await order(
        { eventId: 'sale', quantity: 1 },
        { ...headers, 'idempotency-key': 'lea-1' },
      ).expect(202);
      const retried = await order(
        { eventId: 'sale', quantity: 1 },
        { ...headers, 'idempotency-key': 'lea-1' },
      ).expect(202);
      const replayed = await order({ eventId: 'sale', quantity: 1 }, headers).expect(429);
      const keyReads = jest.spyOn(KeyReads.prototype, 'read');
      const otherKey = await order(
        { eventId: 'sale', quantity: 1 },
        { ...headers, 'idempotency-key': 'lea-2' },
      ).expect(429);
      const keysRead = keyReads.mock.calls.length;
      keyReads.mockRestore();

      expect(bought.body).toMatchObject({ userId: 'lea', status: 'CREATED' });
      expect(retried.body.orderId).toBe(bought.body.orderId);
      expect(replayed.body.code).toBe('WAITING_ROOM');
      expect(replayed.body.message).toMatch(/spent/);
      expect(otherKey.body.code).toBe('WAITING_ROOM');
      // Spent under lea-1: lea-2 bought nothing with it, so a new key each time costs Postgres nothing
      expect(keysRead).toBe(0);
    });

    it('given an admitted buyer refused (over the per-user limit), when ordering again with the same token, then it buys: a refusal does not spend it', async () => {
      const buyer = await issuer.as('max');
      const headers = { ...buyer, 'admission-token': await admitted('sale', buyer) };

      const refused = await order({ eventId: 'sale', quantity: 3 }, headers).expect(422);
      const bought = await order({ eventId: 'sale', quantity: 2 }, headers).expect(202);

      expect(refused.body.code).toBe('PURCHASE_LIMIT_EXCEEDED');
      expect(bought.body.quantity).toBe(2);
    });

    it('given an admitted buyer refused (over the per-user limit) under an Idempotency-Key, when ordering again with the token, then only the same key buys: the token stays the key’s', async () => {
      const buyer = await issuer.as('mia');
      const token = await admitted('sale', buyer);
      const buy = (quantity: number, key: string) =>
        order({ eventId: 'sale', quantity }, { ...buyer, 'admission-token': token, 'idempotency-key': key });

      const refused = await buy(3, 'mia-1').expect(422);
      const otherKey = await buy(2, 'mia-2').expect(429);
      const sameKey = await buy(2, 'mia-1').expect(202);

      expect(refused.body.code).toBe('PURCHASE_LIMIT_EXCEEDED');
      expect(otherKey.body.message).toMatch(/spent/);
      expect(sameKey.body.quantity).toBe(2);
    });

    it('given a sale known sold out from memory, its one ticket held, when its room is turned on, then a buyer without admission learns 429 WAITING_ROOM, not SOLD_OUT, and one who queues waits: the room stands while every ticket is held', async () => {
      await putSale(stack.inventory, 'gone', { totalStock: 1 });
      await order({ eventId: 'gone', quantity: 1 }, await issuer.as('ned')).expect(202);
      await order({ eventId: 'gone', quantity: 1 }, await issuer.as('ola')).expect(409);
      expect(
        (await order({ eventId: 'gone', quantity: 1 }, await issuer.as('ola')).expect(409)).body.code,
      ).toBe('SOLD_OUT');

      await putRoom('gone', { enabled: true, admitPerSecond: 1000 }).expect(200);
      const answer = await order({ eventId: 'gone', quantity: 1 }, await issuer.as('pia')).expect(429);

      expect(answer.body.code).toBe('WAITING_ROOM');
      const entry = (await enter('gone', await issuer.as('ola')).expect(201)).body;
      expect(entry.position).toBe(1);
      expect((await stack.http().get('/events/gone/waiting-room').expect(200)).body).toMatchObject({
        stock: 'all_held',
        admitted: 0,
      });
    });

    it('given the room turned off, when ordering without a token, then the order is taken as ever', async () => {
      await putSale(stack.inventory, 'open', { totalStock: 5 });
      await putRoom('open', { enabled: true, admitPerSecond: 10 }).expect(200);
      await order({ eventId: 'open', quantity: 1 }, await issuer.as('quinn')).expect(429);

      await putRoom('open', { enabled: false, admitPerSecond: 10 }).expect(200);

      await order({ eventId: 'open', quantity: 1 }, await issuer.as('quinn')).expect(202);
    });
  });

  describe('metrics', () => {
    const WAITS = 'boxoffice_waiting_room_wait_seconds_count';

    it('given a room that admits fast, when a buyer is admitted and looks again, then one admission and one wait are counted, and the room shows nobody queued', async () => {
      await putRoom('watched', { enabled: true, admitPerSecond: 1000 }).expect(200);
      const before = await scrapeMetrics(stack);
      const buyer = await issuer.as('rita');

      const token = await admitted('watched', buyer);
      const once = await scrapeMetrics(stack);
      const { entryId } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      await look('watched', entryId, buyer).expect(200);
      const again = await scrapeMetrics(stack);

      expect(once.value('boxoffice_waiting_room_admitted_total', { event_id: 'watched' })).toBe(1);
      expect(once.value(WAITS)! - (before.value(WAITS) ?? 0)).toBe(1);
      expect(once.value('boxoffice_waiting_room_wait_seconds_bucket', { le: '3600' })).toBe(
        once.value(WAITS),
      );
      expect(once.value('boxoffice_waiting_room_queued', { event_id: 'watched' })).toBe(0);
      expect(once.value('boxoffice_waiting_room_admit_per_second', { event_id: 'watched' })).toBe(1000);
      expect(again.value('boxoffice_waiting_room_admitted_total', { event_id: 'watched' })).toBe(1);
      expect(again.value(WAITS)).toBe(once.value(WAITS));
    });

    it('given a room that admits one a second, when five buyers queue, then the room shows them queued until served; a room off shows none', async () => {
      await putRoom('crowded', { enabled: true, admitPerSecond: 1 }).expect(200);
      await putRoom('closed-door', { enabled: false, admitPerSecond: 1 }).expect(200);

      for (const name of ['sam', 'tia', 'uma', 'vic', 'wes'])
        await enter('crowded', await issuer.as(name)).expect(201);
      const queued = (await scrapeMetrics(stack)).value('boxoffice_waiting_room_queued', {
        event_id: 'crowded',
      });

      expect(queued).toBeGreaterThan(0);
      expect(queued).toBeLessThanOrEqual(5);
      await eventually(
        async () =>
          (await scrapeMetrics(stack)).value('boxoffice_waiting_room_queued', { event_id: 'crowded' }) === 0,
        { what: 'the crowded room served', timeoutMs: 15_000 },
      );
      expect(
        (await scrapeMetrics(stack)).value('boxoffice_waiting_room_queued', { event_id: 'closed-door' }),
      ).toBeUndefined();
    });
  });

  describe('a room turned off, then on again', () => {
    /** The room's counter as if it last moved, and the room went off, `seconds` ago (waiting that long: no). */
    async function offFor(eventId: string, seconds: number): Promise<void> {
      const { state } = roomKeys(stack.config.redisPrefix, eventId);
      const [servedAt, offAt] = await redis.hmget(state, 'servedAt', 'offAt');
      const us = seconds * 1_000_000;
      await redis.hset(state, 'servedAt', String(Number(servedAt) - us), 'offAt', String(Number(offAt) - us));
    }

    it('given 100 queued at 10 a second, off for a minute, when looked at while off and turned on again, then nobody is admitted for the time it was off (the counter owes nothing)', async () => {
      await putRoom('paused', { enabled: true, admitPerSecond: 10 }).expect(200);
      for (let i = 0; i < 100; i++) await enter('paused', await issuer.as(`paused-${i}`)).expect(201);
      const before = (await stack.http().get('/events/paused/waiting-room').expect(200)).body.admitted;
      await putRoom('paused', { enabled: false, admitPerSecond: 10 }).expect(200);
      await offFor('paused', 60);

      const whileOff = (await stack.http().get('/events/paused/waiting-room').expect(200)).body;
      await putRoom('paused', { enabled: true, admitPerSecond: 10 }).expect(200);
      const onAgain = (await stack.http().get('/events/paused/waiting-room').expect(200)).body;

      // Enough time passes during the test for a few more at 10 a second; a minute's worth would be all 100.
      expect(whileOff.admitted).toBeLessThanOrEqual(before + 10);
      expect(onAgain.admitted).toBeLessThanOrEqual(before + 20);
      expect(onAgain.queued).toBeGreaterThanOrEqual(80 - before);
    });
  });

  /** An admission token signed as order would (or not): the test knows ADMISSION_TOKEN_SECRET. */
  async function sign(options: {
    secret?: string;
    expSeconds?: number;
    sub?: string;
    issuer?: string;
  }): Promise<string> {
    const real = await admitted('sale', await issuer.as('kim'));
    const claims = JSON.parse(Buffer.from(real.split('.')[1], 'base64url').toString());
    return new SignJWT({ eventId: claims.eventId, entryId: claims.entryId, epoch: claims.epoch })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(options.issuer ?? ADMISSION_ISSUER)
      .setSubject(options.sub ?? 'kim')
      .setJti(claims.jti)
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expSeconds ?? 600))
      .sign(new TextEncoder().encode(options.secret ?? TEST_TOKENS.ADMISSION_TOKEN_SECRET));
  }
});
