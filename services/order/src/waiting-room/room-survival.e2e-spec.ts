import { roomKeysPattern } from '@boxoffice/contracts/order/room-keys';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';

/**
 * The room's state is in Redis and its settings in Postgres, never in an instance (docs/contract.md §2, _The waiting
 * room_): two order processes share one queue, a restarted one loses nobody's place, and a Redis that lost the queue
 * closes the room (503) instead of letting everyone in. Without buyer tokens: the body's userId is the buyer.
 */
describe('The waiting room across order processes, a restart and a Redis wipe (e2e: real processes)', () => {
  let corner: TestCorner;
  let inventory: ServiceProcess;
  let first: ServiceProcess;
  let second: ServiceProcess;

  const start = () => corner.startProcess('order', { INVENTORY_URL: inventory.url });
  const enter = (instance: ServiceProcess, eventId: string, userId: string) =>
    instance.http().post(`/events/${eventId}/waiting-room/entries`).send({ userId });
  const putRoom = (instance: ServiceProcess, eventId: string, admitPerSecond: number) =>
    instance
      .http()
      .put(`/events/${eventId}/waiting-room`)
      .set(AS_ADMIN)
      .send({ enabled: true, admitPerSecond })
      .expect(200);

  beforeAll(async () => {
    corner = await openTestCorner('room_survival', { vhost: true });
    inventory = await corner.startProcess('inventory');
    [first, second] = await Promise.all([start(), start()]);
  });
  afterAll(() => corner?.dispose());

  it('given buyers queued through two instances, when one is restarted, then every entry keeps its place and the queue goes on after them', async () => {
    await putRoom(first, 'kept', 1);
    const positions = [];
    for (const userId of ['a1', 'a2', 'a3'])
      positions.push((await enter(first, 'kept', userId).expect(201)).body);
    // The other instance reads the room from Postgres within a second.
    const fourth = await eventually(async () => (await enter(second, 'kept', 'a4').expect(201)).body, {
      what: 'the second instance taking the room',
    });
    const again = (await enter(second, 'kept', 'a2').expect(200)).body;
    expect([...positions.map((entry) => entry.position), fourth.position]).toEqual([1, 2, 3, 4]);
    expect(again).toMatchObject({ entryId: positions[1].entryId, position: 2 });

    // when
    await first.stop();
    first = await start();

    // then
    const after = (await enter(first, 'kept', 'a1').expect(200)).body;
    const fifth = (await enter(first, 'kept', 'a5').expect(201)).body;
    expect(after).toMatchObject({ entryId: positions[0].entryId, position: 1 });
    expect(fifth.position).toBe(5);
  });

  it('given an admitted buyer, when Redis loses the room’s keys, then entries, status and POST /orders answer 503 WAITING_ROOM_CLOSED, an order without a token 429, nothing kept; reopened, the old token is refused', async () => {
    await putSale(inventory, 'wiped', { totalStock: 10 });
    await putRoom(first, 'wiped', 1000);
    const { body: entry } = await enter(first, 'wiped', 'w1').expect(201);
    const { admissionToken } = await eventually(
      async () => {
        const { body } = await first
          .http()
          .get(`/events/wiped/waiting-room/entries/${entry.entryId}`)
          .expect(200);
        return body.admitted && body;
      },
      { what: 'w1 admitted' },
    );
    await eventually(async () => (await second.http().get('/events/wiped/waiting-room')).status === 200, {
      what: 'the second instance taking the room',
    });

    // when
    await deleteKeys(roomKeysPattern(corner.namespace.redisPrefix));

    // then
    for (const instance of [first, second]) {
      const status = await instance.http().get('/events/wiped/waiting-room').expect(503);
      expect(status.headers['retry-after']).toBe('1');
      expect(status.body.code).toBe('WAITING_ROOM_CLOSED');
      expect((await enter(instance, 'wiped', 'w2').expect(503)).body.code).toBe('WAITING_ROOM_CLOSED');
      const looked = await instance
        .http()
        .get(`/events/wiped/waiting-room/entries/${entry.entryId}`)
        .expect(503);
      expect(looked.body.code).toBe('WAITING_ROOM_CLOSED');
      const withToken = await instance
        .http()
        .post('/orders')
        .set('admission-token', admissionToken)
        .send({ eventId: 'wiped', userId: 'w1', quantity: 1 })
        .expect(503);
      expect(withToken.body.code).toBe('WAITING_ROOM_CLOSED');
      const without = await instance
        .http()
        .post('/orders')
        .send({ eventId: 'wiped', userId: 'w3', quantity: 1 })
        .expect(429);
      expect(without.body.code).toBe('WAITING_ROOM');
    }
    expect(await saleCounts(inventory, 'wiped')).toMatchObject({ available: 10, held: 0, sold: 0 });

    // and when the operator reopens it: a new epoch, the token from before refused, everyone queues again
    await putRoom(first, 'wiped', 1000);
    const stale = await first
      .http()
      .post('/orders')
      .set('admission-token', admissionToken)
      .send({ eventId: 'wiped', userId: 'w1', quantity: 1 })
      .expect(429);
    expect(stale.body.message).toMatch(/reopened/);
    const { body: requeued } = await enter(first, 'wiped', 'w1').expect(201);
    expect(requeued.position).toBe(1);
    expect(await saleCounts(inventory, 'wiped')).toMatchObject({ available: 10, held: 0, sold: 0 });
  });

  it('given a buyer whose order was kept under an Idempotency-Key, when Redis loses the room and they retry with the key and their token, then that order is answered (closed and reopened alike); another key is refused, nothing new kept', async () => {
    await putSale(inventory, 'lost-answer', { totalStock: 10 });
    await putRoom(first, 'lost-answer', 1000);
    const admissionToken = await admittedToken(first, 'lost-answer', 'r1');
    const buy = (key: string) =>
      first
        .http()
        .post('/orders')
        .set({ 'admission-token': admissionToken, 'idempotency-key': key })
        .send({ eventId: 'lost-answer', userId: 'r1', quantity: 1 });
    const { body: kept } = await buy('r1-key').expect(202);
    // No payment here: the order holds its ticket.
    const counts = await saleCounts(inventory, 'lost-answer');

    // when: the queue is lost (its 202 lost to the buyer too), and the buyer retries
    await deleteKeys(roomKeysPattern(corner.namespace.redisPrefix));
    const whileClosed = await buy('r1-key').expect(202);
    const closedOtherKey = await buy('r1-other').expect(503);
    await putRoom(first, 'lost-answer', 1000);
    const reopened = await buy('r1-key').expect(202);
    const reopenedOtherKey = await buy('r1-other').expect(429);

    // then
    expect(whileClosed.body.orderId).toBe(kept.orderId);
    expect(reopened.body.orderId).toBe(kept.orderId);
    expect(closedOtherKey.body.code).toBe('WAITING_ROOM_CLOSED');
    expect(reopenedOtherKey.body.message).toMatch(/reopened/);
    expect(counts).toMatchObject({ available: 9, held: 1 });
    expect(await saleCounts(inventory, 'lost-answer')).toEqual(counts);
    const [{ orders }] = await corner
      .db('order')
      .query(`SELECT count(*)::int AS orders FROM orders WHERE event_id = 'lost-answer'`);
    expect(orders).toBe(1);
  });

  it('given a buyer whose order was kept under an Idempotency-Key, when their admission has expired and they retry with the key, then that order is answered; without the key the token is refused as expired', async () => {
    const brief = await corner.startProcess('order', {
      INVENTORY_URL: inventory.url,
      WAITING_ROOM_ADMISSION_SECONDS: '10',
    });
    await putSale(inventory, 'expired', { totalStock: 10 });
    await putRoom(brief, 'expired', 1000);
    const admissionToken = await admittedToken(brief, 'expired', 'x1');
    const buy = (headers: Record<string, string>) =>
      brief
        .http()
        .post('/orders')
        .set({ 'admission-token': admissionToken, ...headers })
        .send({ eventId: 'expired', userId: 'x1', quantity: 1 });
    const { body: kept } = await buy({ 'idempotency-key': 'x1-key' }).expect(202);
    const { exp } = JSON.parse(Buffer.from(admissionToken.split('.')[1], 'base64url').toString());

    // when: the admission's time is over
    await eventually(() => Date.now() > exp * 1000 + 1000, {
      what: 'the admission expired',
      timeoutMs: 15_000,
    });
    const retried = await buy({ 'idempotency-key': 'x1-key' }).expect(202);
    const withoutKey = await buy({}).expect(429);

    // then
    expect(retried.body.orderId).toBe(kept.orderId);
    expect(withoutKey.body.message).toMatch(/expired/);
  });

  /** The buyer queued and admitted at `instance`: their admission token. */
  async function admittedToken(instance: ServiceProcess, eventId: string, userId: string): Promise<string> {
    const { body: entry } = await enter(instance, eventId, userId).expect(201);
    const admitted = await eventually(
      async () => {
        const { body } = await instance
          .http()
          .get(`/events/${eventId}/waiting-room/entries/${entry.entryId}`)
          .expect(200);
        return body.admitted && body;
      },
      { what: `${userId} admitted` },
    );
    return admitted.admissionToken as string;
  }
});
