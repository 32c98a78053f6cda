import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { eventually } from '@boxoffice/testing/eventually';
import { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { TEST_DATABASE_URL } from '@boxoffice/testing/test-namespace';
import { NotificationListener } from './notification-listener';

// Answers within this, on a machine others share, are well within reach; a connection held far longer is silent.
const HEARTBEAT_MS = 500;
const SILENCE_MS = 60_000;

describe('NotificationListener (real Postgres, through a proxy)', () => {
  let proxy: FaultProxy;
  let observer: Client;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    proxy = await FaultProxy.open(TEST_DATABASE_URL);
    observer = new Client({ connectionString: TEST_DATABASE_URL });
    await observer.connect();
  });

  afterAll(async () => {
    await proxy?.dispose();
    await observer?.end();
  });

  /** A listener through the proxy, named so that its backends can be found, and what it was told so far. */
  const openListener = () => {
    const name = `listener-spec ${randomBytes(4).toString('hex')}`;
    const told = { notifications: 0, listening: 0 };
    const listener = new NotificationListener({
      connection: { connectionString: proxy.url(TEST_DATABASE_URL), application_name: name },
      channel: name.replace(/\W/g, '_'),
      onNotification: () => told.notifications++,
      onListening: () => told.listening++,
      maxBackoffMs: 200,
      heartbeatMs: HEARTBEAT_MS,
    });
    const pids = async (): Promise<number[]> =>
      (await observer.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name])).rows.map(
        (row: { pid: number }) => row.pid,
      );
    return { listener, told, pids };
  };

  it('given a listening connection that goes silent (nothing closed, nothing notified), when its heartbeat is not answered, then it stops listening, and listens again on a new connection once Postgres can be reached', async () => {
    // given
    const { listener, told, pids } = openListener();
    try {
      listener.start();
      const [silent] = await eventually(async () => listener.isListening() && pids(), { what: 'listening' });

      // when
      proxy.setLatency(SILENCE_MS);

      // then
      await eventually(() => !listener.isListening(), { what: 'silence noticed' });
      expect(await pids()).toContain(silent); // Postgres never closed it: only the heartbeat can have told
      expect(told.notifications).toBe(0);

      // when
      proxy.setLatency(0);

      // then
      await eventually(async () => listener.isListening() && (await pids()).some((pid) => pid !== silent), {
        what: 'listening on a new connection',
      });
      expect(told.listening).toBe(2);
    } finally {
      await listener.stop();
      proxy.setLatency(0);
    }
  });

  it('given a listening connection, when Postgres terminates it while no new connection gets through, then it stops listening until one does, then listens again', async () => {
    // given
    const { listener, told, pids } = openListener();
    try {
      listener.start();
      const [terminated] = await eventually(async () => listener.isListening() && pids(), {
        what: 'listening',
      });

      // when
      proxy.refuse();
      await observer.query('SELECT pg_terminate_backend($1)', [terminated]);

      // then
      await eventually(() => !listener.isListening(), { what: 'drop noticed' });

      // when
      await proxy.restore();

      // then
      await eventually(
        async () => listener.isListening() && (await pids()).some((pid) => pid !== terminated),
        {
          what: 'listening on a new connection',
        },
      );
      expect(told.listening).toBe(2);
    } finally {
      await listener.stop();
      await proxy.restore();
    }
  });
});
