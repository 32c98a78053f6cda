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
});
