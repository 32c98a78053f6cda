import { join } from 'node:path';
import { roomKeysPattern } from '@boxoffice/contracts/order/room-keys';
import { allStarted } from '@boxoffice/testing/all-started';
import { eventually } from '@boxoffice/testing/eventually';
import type { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { operatorEnv } from '@boxoffice/testing/operator-env';
import { putSale } from '@boxoffice/testing/sale-stock';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import type { TestBroker } from '@boxoffice/testing/test-broker';
import { startInCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { deleteKeys } from '@boxoffice/testing/test-namespace';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';
import { TEST_AMQP_URL } from '@boxoffice/testing/test-vhost';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import { consumerQueueRows } from './consumer-queues';
import { readMonitorSettings } from './monitor-settings';
import type { MonitorSnapshot } from './monitor-snapshot';
import { MonitorReader } from './read-monitor-snapshot';
import { renderLine } from './render-line';
import { roomRates } from './room-rates';
import { saleRates } from './sale-rates';

interface Stack {
  corner: TestCorner;
  inventory: ServiceProcess;
  order: ServiceProcess;
  payment: ServiceProcess;
  /** Order's way to RabbitMQ: cut, its outbox cannot publish. */
  orderBroker: FaultProxy;
  broker: TestBroker;
  /** The monitor's settings, as an operator's environment would give them. */
  env: Record<string, string>;
}

/** The three services as real processes in a corner of their own, order reaching RabbitMQ through a proxy. */
function startStack(): Promise<Stack> {
  return startInCorner('monitor', { vhost: true }, async (corner) => {
    const fastOutbox = { OUTBOX_POLL_INTERVAL_MS: '100' };
    const [inventory, payment, orderBroker] = await allStarted([
      corner.startProcess('inventory'),
      corner.startProcess('payment', fastOutbox),
      corner.openProxy(TEST_AMQP_URL),
    ]);
    const order = await corner.startProcess('order', {
      ...fastOutbox,
      INVENTORY_URL: inventory.url,
      RABBITMQ_URL: orderBroker.url(corner.vhost.url),
    });
    const env = operatorEnv(corner, { inventory: inventory.url, order: order.url, payment: payment.url });
    return { corner, inventory, order, payment, orderBroker, broker: await corner.openBroker(), env };
  });
}

describe('npm run monitor: what an operator watches during a sale (e2e, three real services)', () => {
  let stack: Stack;
  let reader: MonitorReader;

  beforeAll(async () => {
    stack = await startStack();
    reader = new MonitorReader(readMonitorSettings(stack.env));
  }, 180_000);
  afterAll(async () => {
    await reader?.close();
    await stack?.corner.dispose();
  });

  const buy = async (userId: string, paymentToken = 'tok_visa'): Promise<string> => {
    const { body } = await stack.order
      .http()
      .post('/orders')
      .send({ eventId: 'gig', userId, quantity: 1, paymentToken })
      .expect(202);
    return body.orderId;
  };
  const statusOf = async (orderId: string): Promise<string> =>
    (await stack.order.http().get(`/orders/${orderId}`).expect(200)).body.status;

  it('given a sale with one order confirmed, one declined, two waiting for a stopped payment, one unpublished and a parked reply, when the monitor reads, then it shows each of them', async () => {
    // given
    await putSale(stack.inventory, 'gig', { totalStock: 10 });
    const first = await reader.read();
    const [confirmed, declined] = [await buy('u1'), await buy('u2', 'tok_chargeDeclined')];
    await eventually(async () => (await statusOf(confirmed)) === 'CONFIRMED', { what: 'u1 confirmed' });
    await eventually(async () => (await statusOf(declined)) === 'CANCELLED', { what: 'u2 cancelled' });
    await stack.payment.stop();
    const waiting = [await buy('u3'), await buy('u4')];
    const orderOutbox = stack.corner.db('order');
    await eventually(
      async () => (await orderOutbox.query('SELECT 1 FROM outbox WHERE sent_at IS NULL')).length === 0,
      { what: "order's outbox published the waiting orders" },
    );
    await stack.orderBroker.cut();
    await buy('u5');
    await stack.broker.publish('order.payment_result.dlq', { orderId: 'parked-1' }, { exchange: '' });

    // when (queue counts reach the management API a few seconds late)
    const second: MonitorSnapshot = await eventually(
      async () => {
        const read = await reader.read();
        const rows = consumerQueueRows(read.queues ?? []);
        const depth = (queue: string) => rows.find((row) => row.queue === queue);
        return (
          depth('payment.order_created')?.ready === 2 && depth('order.payment_result')?.dead === 1 && read
        );
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the queue depths in the management API' },
    );
    const line = renderLine(second, saleRates(first, second));

    // then
    expect(second.problems).toEqual([]);
    expect(second.sales).toEqual([
      {
        eventId: 'gig',
        totalStock: 10,
        stock: { available: 6, held: 3, sold: 1 },
        orders: { accepted: 5, created: 3, confirmed: 1, cancelled: 1, cancelledBy: { PAYMENT_DECLINED: 1 } },
      },
    ]);
    expect(second.outbox).toEqual({
      order: { unsent: 1, oldestUnsentSeconds: expect.any(Number), parked: 0 },
      payment: { unsent: 0, oldestUnsentSeconds: null, parked: 0 },
    });
    expect(second.oldestCreated).toMatchObject({ orderId: waiting[0], eventId: 'gig', count: 3 });
    expect(second.services.map(({ name, state }) => `${name} ${state}`)).toEqual([
      'inventory ready',
      expect.stringMatching(/^order (ready|not ready)$/), // its health may or may not check the broker it lost
      'payment down',
    ]);
    expect(line).toContain(
      'sale gig avail/held/sold 6/3/1 of 10, accepted 5 (', // the rates depend on how long it took
    );
    expect(line).toMatch(/accepted 5 \(\d+\.\d\/s\), confirmed 1 \(\d+\.\d\/s\), cancelled 1 \(\d+\.\d\/s\)/);
    expect(line).toContain(': PAYMENT_DECLINED 1 (');
    expect(line).toContain(', open 3 |');
    expect(line).toContain('payment.order_created ready 2');
    expect(line).toContain('order.payment_result dead 1');
    expect(line).toMatch(/outbox order 1 unsent \(oldest \d+s\), payment 0 unsent/);
    expect(line).toContain(`oldest CREATED `);
    expect(line).toContain(`(${waiting[0]}, sale gig; 3 CREATED in all)`);
    expect(line).toContain('inventory ready');
    expect(line).toContain('payment down (ECONNREFUSED)');
  });

  it('given a room letting one buyer in a second with five queued, and a room whose queue Redis lost, when the monitor reads twice, then it shows the first queued, admitting and its longest wait, and the second closed', async () => {
    // given (the wipe first: it takes every room's keys of the corner)
    const putRoom = (eventId: string, admitPerSecond: number) =>
      stack.order
        .http()
        .put(`/events/${eventId}/waiting-room`)
        .set(AS_ADMIN)
        .send({ enabled: true, admitPerSecond })
        .expect(200);
    await putRoom('lost', 5);
    await deleteKeys(roomKeysPattern(stack.corner.namespace.redisPrefix));
    await putRoom('hall', 1);
    for (const userId of ['q1', 'q2', 'q3', 'q4', 'q5'])
      await stack.order.http().post('/events/hall/waiting-room/entries').send({ userId }).expect(201);

    // when: read, then read again once the room has let someone in
    const hall = (snapshot: MonitorSnapshot) =>
      snapshot.rooms?.find((room) => room.eventId === 'hall')?.queue;
    const first = await reader.read();
    const second = await eventually(
      async () => {
        const read = await reader.read();
        return hall(read)!.admitted > hall(first)!.admitted && read;
      },
      { what: 'the hall room admitting', timeoutMs: 15_000, intervalMs: 250 },
    );
    const line = renderLine(second, saleRates(first, second), roomRates(first, second));

    // then
    expect(second.rooms).toEqual([
      {
        eventId: 'hall',
        queue: {
          admitPerSecond: 1,
          queued: expect.any(Number),
          admitted: expect.any(Number),
          longestEstimatedWaitSeconds: expect.any(Number),
          // No sale 'hall' in inventory: the room admits as if on sale.
          stock: 'unknown',
        },
      },
      { eventId: 'lost', queue: null },
    ]);
    expect(hall(first)!.queued + hall(first)!.admitted).toBe(5);
    expect(hall(first)!.longestEstimatedWaitSeconds).toBeGreaterThanOrEqual(hall(first)!.queued);
    expect(line).toMatch(
      /\| room hall queued \d, admitted \d+\.\d\/s \(set 1\/s\), longest wait \d+s, stock unknown \|/,
    );
    expect(line).toContain(
      '| room lost closed: its queue is gone from Redis (PUT the room again to reopen) |',
    );
    expect(second.problems).toEqual([]);
  });

  it('given that sale, when an operator runs `npm run monitor -- --once --plain --event gig`, then it prints one line of it and exits 0', async () => {
    // when
    const monitor = spawnWatched(
      [
        '-r',
        require.resolve('@swc-node/register'),
        join(__dirname, 'monitor.ts'),
        '--once',
        '--plain',
        '--event',
        'gig',
      ],
      { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json'), ...stack.env },
    );
    const exit = await eventually(() => monitor.exit(), { timeoutMs: 30_000, what: 'the monitor exited' });

    // then
    expect({ exit, output: monitor.output() }).toEqual({
      exit: { code: 0, signal: null },
      output: expect.stringMatching(
        /^\S+Z \| services .*\| sale gig avail\/held\/sold 6\/3\/1 of 10, accepted 5 \(-\)/,
      ),
    });
    expect(monitor.output().trimEnd().split('\n')).toHaveLength(1);
    expect(monitor.output()).toContain('payment.order_created ready 2');
  });
});
