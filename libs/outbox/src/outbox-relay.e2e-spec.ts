import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@boxoffice/database/open-database';
import { ServiceMetrics } from '@boxoffice/metrics/service-metrics';
import { MessagePublisher, type OutgoingMessage } from '@boxoffice/messaging/message-publisher';
import { eventually } from '@boxoffice/testing/eventually';
import { FaultProxy } from '@boxoffice/testing/fault-proxy';
import { parseMetrics } from '@boxoffice/testing/scraped-metrics';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { TEST_DATABASE_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import { addToOutbox, putInOutbox } from './outbox';
import { OutboxListenerGauge } from './outbox-listener-gauge';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

// The table as the services' migrations leave it (libs never import services): create-*, outbox-parking, then
// outbox-trace-context.
const OUTBOX_TABLE = `
  CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    message_id      varchar(64) NOT NULL UNIQUE,
    routing_key     varchar(64) NOT NULL,
    correlation_id  varchar(64) NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    parked_at       timestamptz,
    trace_context   jsonb
  )`;

const OPTIONS: OutboxRelayOptions = {
  batchSize: 10,
  pollIntervalMs: 20,
  maxBackoffMs: 200,
  retentionMs: 3_600_000,
  maxAttempts: 3,
  maxRowBackoffMs: 100,
  notify: true,
};

interface RowState {
  message_id: string;
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
  waits: boolean;
  parked_at: Date | null;
}

describe('OutboxRelay (real Postgres, real RabbitMQ, own schema and vhost)', () => {
  let namespace: TestNamespace;
  let vhost: TestVhost;
  let broker: TestBroker;
  let publisher: MessagePublisher;
  const databases: DataSource[] = [];
  const relays: OutboxRelay[] = [];
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    errors = jest.spyOn(Logger.prototype, 'error');
    namespace = testNamespace('outbox');
    vhost = await createTestVhost('outbox');
    // good_news has a queue, as a consumer would declare it; refused_news a queue that nacks everything.
    broker = await TestBroker.open(vhost.url, { tap: ['good_news'] });
    await broker.refuse('refused_news');
    publisher = new MessagePublisher({
      url: vhost.url,
      serviceName: 'outbox-probe',
      publishTimeoutMs: 3_000,
    });
  });

  afterAll(async () => {
    for (const relay of relays) await relay.onModuleDestroy();
    for (const db of databases) await db.destroy();
    await publisher?.close();
    await broker?.close();
    await vhost?.dispose();
    await namespace?.dispose();
    errors?.mockRestore();
  });

  /** A pool on a schema of this run's own, as one instance of a service has. */
  const openInstance = async (name: string, url = TEST_DATABASE_URL) => {
    const db = await openDatabase({
      url,
      schema: `${namespace.id}_${name}`,
      poolSize: 3,
      queryTimeoutMs: 10_000,
      entities: [],
      migrations: [],
    });
    databases.push(db);
    return db;
  };

  /** A schema of this run's own with an empty outbox, and a relay on it. */
  const openOutbox = async (name: string, relayPublisher = publisher, options = OPTIONS) => {
    const db = await openInstance(name);
    await db.query(OUTBOX_TABLE);
    const relay = new OutboxRelay(db, relayPublisher, options);
    relays.push(relay);
    return { db, relay };
  };

  const message = (routingKey: string, over: Partial<OutgoingMessage> = {}): OutgoingMessage => {
    const orderId = randomUUID();
    return { routingKey, messageId: randomUUID(), correlationId: orderId, payload: { orderId }, ...over };
  };

  const add = (db: DataSource, ...messages: OutgoingMessage[]) =>
    db.transaction(async (tx) => {
      for (const outgoing of messages) await addToOutbox(tx, outgoing);
    });

  const rows = (db: DataSource): Promise<RowState[]> =>
    db.query(
      `SELECT message_id, sent_at, attempts, last_error, next_attempt_at > now() AS waits, parked_at
       FROM outbox ORDER BY id`,
    );

  const tappedIds = async () =>
    (await broker.tapped('good_news')).map((tapped) => tapped.properties.messageId as string);

  // A poll so rare that a row published within the deadline below was not found by it.
  const POLLING_RARELY: OutboxRelayOptions = { ...OPTIONS, pollIntervalMs: 60_000 };
  const PROMPTLY = { timeoutMs: 10_000 };

  /**
   * Commits two rows from `instance`'s pool, the second once the first is at the broker: whatever wake the
   * relay had of its own (its start, its listening again) was spent by then, so only the commit can wake it.
   */
  const eachCommitIsPublished = async (instance: DataSource) => {
    for (const label of ['first', 'second']) {
      const outgoing = message('good_news');
      await instance.transaction((tx) => putInOutbox(tx, outgoing));
      await eventually(async () => (await tappedIds()).includes(outgoing.messageId), {
        ...PROMPTLY,
        what: `${label} row published`,
      });
    }
  };

  it('given a row the broker nacks and one that cannot be encoded between good rows, when relayed, then the good rows are sent, each bad row is counted until it is parked, and new rows keep going', async () => {
    // given
    const { db, relay } = await openOutbox('poisoned');
    const first = message('good_news');
    const nacked = message('refused_news');
    const unencodable = message('good_news', { correlationId: '' });
    const second = message('good_news');
    await add(db, first, nacked, unencodable, second);

    // when one batch is relayed
    expect(await relay.relayBatch()).toBe(4);

    // then the good rows are sent, behind the bad ones too, and each bad row waits its own backoff
    expect(await rows(db)).toEqual([
      expect.objectContaining({ message_id: first.messageId, sent_at: expect.any(Date), attempts: 0 }),
      expect.objectContaining({
        message_id: nacked.messageId,
        sent_at: null,
        attempts: 1,
        last_error: expect.stringMatching(/nacked/),
        waits: true,
        parked_at: null,
      }),
      expect.objectContaining({
        message_id: unencodable.messageId,
        sent_at: null,
        attempts: 1,
        last_error: 'correlationId must be a non-empty string',
        waits: true,
        parked_at: null,
      }),
      expect.objectContaining({ message_id: second.messageId, sent_at: expect.any(Date), attempts: 0 }),
    ]);
    expect(await tappedIds()).toEqual(expect.arrayContaining([first.messageId, second.messageId]));

    // when the relay runs on its own
    relay.onApplicationBootstrap();

    // then each bad row is refused up to maxAttempts, parked, and said so at error level
    const parked = await eventually(
      async () => {
        const now = (await rows(db)).filter((row) => row.parked_at);
        return now.length === 2 && now;
      },
      { what: 'both bad rows parked' },
    );
    expect(parked.map((row) => [row.message_id, row.attempts, row.sent_at])).toEqual([
      [nacked.messageId, OPTIONS.maxAttempts, null],
      [unencodable.messageId, OPTIONS.maxAttempts, null],
    ]);
    for (const bad of [nacked, unencodable]) {
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(`parked .*${bad.messageId} \\(${bad.routingKey}\\) refused 3 times`),
        ),
      );
    }
    expect(await relay.pending()).toBe(0);

    // when a new row comes
    const third = message('good_news');
    await add(db, third);

    // then it is sent, and the parked rows stay as they are
    await eventually(async () => (await tappedIds()).includes(third.messageId), { what: 'third sent' });
    await eventually(async () => (await relay.pending()) === 0, { what: 'third marked sent' });
    expect((await rows(db)).filter((row) => row.parked_at).map((row) => row.attempts)).toEqual([3, 3]);
  });

  it('given a row no queue is bound for, when relayed, then it waits without counting and goes through once a consumer declares its queue', async () => {
    // given
    const { db, relay } = await openOutbox('unroutable');
    const early = message('late_news');
    const behind = message('good_news');
    await add(db, early, behind);

    // when
    await relay.relayBatch();

    // then
    expect(await rows(db)).toEqual([
      expect.objectContaining({
        message_id: early.messageId,
        sent_at: null,
        attempts: 0,
        last_error: expect.stringMatching(/unroutable/),
        waits: true,
        parked_at: null,
      }),
      expect.objectContaining({ message_id: behind.messageId, sent_at: expect.any(Date) }),
    ]);

    // when its consumer's queue appears
    await broker.tap('late_news');

    // then
    const [sent] = await eventually(
      async () => {
        await relay.relayBatch();
        const [row] = await rows(db);
        return row.sent_at !== null && [row];
      },
      { what: 'late_news sent' },
    );
    expect(sent).toMatchObject({ attempts: 0, parked_at: null });
    expect((await broker.tapped('late_news')).map((tapped) => tapped.properties.messageId)).toEqual([
      early.messageId,
    ]);
  });

  it('given a parked row, when its message is resent, then it is due again with its attempts afresh', async () => {
    // given
    const { db, relay } = await openOutbox('resent');
    const nacked = message('refused_news');
    await add(db, nacked);
    await eventually(
      async () => {
        await relay.relayBatch();
        return (await rows(db))[0].parked_at !== null;
      },
      { what: 'row parked' },
    );

    // when
    await db.transaction((tx) => putInOutbox(tx, nacked));

    // then
    expect(await rows(db)).toEqual([
      expect.objectContaining({ sent_at: null, attempts: 0, waits: false, parked_at: null }),
    ]);
    expect(await relay.pending()).toBe(1);
  });

  it('given a row not yet sent that waits out its backoff, when its message is put again, then the row is left as it is', async () => {
    // given
    const { db } = await openOutbox('backing_off');
    const refused = message('refused_news');
    await add(db, refused);
    await db.query(
      `UPDATE outbox SET attempts = 2, last_error = 'nacked', next_attempt_at = now() + interval '1 hour'`,
    );

    // when
    await db.transaction((tx) => putInOutbox(tx, refused));

    // then
    expect(await rows(db)).toEqual([
      expect.objectContaining({
        sent_at: null,
        attempts: 2,
        last_error: 'nacked',
        waits: true,
        parked_at: null,
      }),
    ]);
  });

  it('given a broker that cannot be reached, when relayed, then no row is counted and the relay as a whole fails', async () => {
    // given
    const stranded = new MessagePublisher({
      url: 'amqp://guest:guest@127.0.0.1:1',
      serviceName: 'stranded',
      publishTimeoutMs: 300,
    });
    try {
      const { db, relay } = await openOutbox('stranded', stranded);
      await add(db, message('good_news'), message('refused_news'));

      // when / then
      await expect(relay.relayBatch()).rejects.toThrow(/2 of 2 messages not confirmed .*broker unavailable/);
      expect(await rows(db)).toEqual([
        expect.objectContaining({ sent_at: null, attempts: 0, last_error: null, waits: false }),
        expect.objectContaining({ sent_at: null, attempts: 0, last_error: null, waits: false }),
      ]);
      expect(await relay.pending()).toBe(2);
    } finally {
      await stranded.close();
    }
  });

  describe('woken in the process by the commits of its own pool, nobody calling wake()', () => {
    const QUIET_AND_POLLING_RARELY: OutboxRelayOptions = { ...POLLING_RARELY, notify: false };

    it('given a relay that polls once a minute, when its own pool commits rows, then each is published at once', async () => {
      // given
      const { db, relay } = await openOutbox('own_commits', publisher, POLLING_RARELY);
      relay.onApplicationBootstrap();
      await eventually(() => relay.listening(), { what: 'relay listening' });

      // when / then
      await eachCommitIsPublished(db);
    });

    it('given a relay with NOTIFY off that polls once a minute, when its own pool adds rows in transactions or outside any, then each is published at once', async () => {
      // given
      const { db, relay } = await openOutbox('own_quiet', publisher, QUIET_AND_POLLING_RARELY);
      relay.onApplicationBootstrap();

      // when / then
      await eachCommitIsPublished(db);

      // when
      const outside = message('good_news');
      await putInOutbox(db.manager, outside);

      // then
      await eventually(async () => (await tappedIds()).includes(outside.messageId), {
        ...PROMPTLY,
        what: 'row put outside a transaction published',
      });
    });

    it('given a relay with NOTIFY off that polls once a minute, when a transaction adds a row and commits a while later, then the commit wakes the relay, not the row', async () => {
      // given
      const { db, relay } = await openOutbox('late_commit', publisher, QUIET_AND_POLLING_RARELY);
      relay.onApplicationBootstrap();
      const outgoing = message('good_news');

      // when
      await db.transaction(async (tx) => {
        await putInOutbox(tx, outgoing);
        // Time for a relay woken by the row to find nothing yet (uncommitted) and go back to its minute's sleep.
        await tx.query('SELECT pg_sleep(0.3)');
      });

      // then
      await eventually(async () => (await tappedIds()).includes(outgoing.messageId), {
        ...PROMPTLY,
        what: 'row published after its commit',
      });
    });
  });

  describe('woken across instances by the commits that add rows (LISTEN/NOTIFY)', () => {
    /** The backends of the relays of the outbox of `name` that LISTEN (or are about to), by their application_name. */
    const listenerPids = async (db: DataSource, name: string): Promise<number[]> =>
      (
        await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [
          `outbox-relay ${namespace.id}_${name}`,
        ])
      ).map((row: { pid: number }) => row.pid);

    it('given a relay that polls once a minute, when another instance commits rows to its outbox, then each is published at once', async () => {
      // given
      const { relay } = await openOutbox('notified', publisher, POLLING_RARELY);
      const otherInstance = await openInstance('notified');
      relay.onApplicationBootstrap();
      await eventually(() => relay.listening(), { what: 'relay listening' });

      // when / then
      await eachCommitIsPublished(otherInstance);
    });

    it('given a relay whose LISTEN connection is terminated, when it listens again, then commits of another instance wake it again', async () => {
      // given
      const { db, relay } = await openOutbox('relisten', publisher, POLLING_RARELY);
      const otherInstance = await openInstance('relisten');
      relay.onApplicationBootstrap();
      const [dropped] = await eventually(async () => relay.listening() && listenerPids(db, 'relisten'), {
        what: 'relay listening',
      });

      // when
      await db.query('SELECT pg_terminate_backend($1)', [dropped]);
      await eventually(
        async () => {
          const pids = await listenerPids(db, 'relisten');
          return relay.listening() && pids.length === 1 && pids[0] !== dropped;
        },
        { what: 'relay listening on a new connection' },
      );

      // then
      await eachCommitIsPublished(otherInstance);
    });

    it('given a relay listening through a proxy, when its LISTEN backend is terminated while no connection gets through, then its gauge reads 0, and 1 again once it listens on a new one', async () => {
      // given
      const proxy = await FaultProxy.open(TEST_DATABASE_URL);
      try {
        const db = await openInstance('gauged', proxy.url(TEST_DATABASE_URL));
        await db.query(OUTBOX_TABLE);
        const relay = new OutboxRelay(db, publisher, POLLING_RARELY);
        relays.push(relay);
        const metrics = new ServiceMetrics({ enabled: true });
        new OutboxListenerGauge(relay, metrics);
        const gauge = async () =>
          parseMetrics((await metrics.scrape()).body).value('boxoffice_outbox_listener_listening');
        const observer = await openInstance('gauged');
        relay.onApplicationBootstrap();
        const [dropped] = await eventually(
          async () => (await gauge()) === 1 && listenerPids(observer, 'gauged'),
          {
            what: 'gauge 1 while listening',
          },
        );

        // when
        proxy.refuse();
        await observer.query('SELECT pg_terminate_backend($1)', [dropped]);

        // then
        await eventually(async () => (await gauge()) === 0, { what: 'gauge 0 once the backend is gone' });

        // when
        await proxy.restore();

        // then
        await eventually(
          async () =>
            (await gauge()) === 1 && (await listenerPids(observer, 'gauged')).some((pid) => pid !== dropped),
          { what: 'gauge 1 listening on a new connection' },
        );
      } finally {
        await proxy.dispose();
      }
    });

    it('given a listening relay, when it stops, then its LISTEN connection is closed', async () => {
      // given
      const { db, relay } = await openOutbox('stopping', publisher, POLLING_RARELY);
      relay.onApplicationBootstrap();
      await eventually(async () => relay.listening() && (await listenerPids(db, 'stopping')).length === 1, {
        what: 'relay listening',
      });

      // when
      await relay.onModuleDestroy();

      // then
      expect(relay.listening()).toBe(false);
      await eventually(async () => (await listenerPids(db, 'stopping')).length === 0, {
        what: 'LISTEN connection gone',
      });
    });
  });

  describe('with NOTIFY off (OUTBOX_NOTIFY=false)', () => {
    const NOT_NOTIFYING: OutboxRelayOptions = { ...OPTIONS, notify: false };

    /** A session of the test's own LISTENing on the outbox of `name`, and the payloads it received, in order. */
    const listenTo = async (name: string) => {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      const payloads: string[] = [];
      client.on('notification', ({ payload }) => payloads.push(payload ?? ''));
      await client.connect();
      const channel = `outbox_${namespace.id}_${name}`;
      await client.query(`LISTEN "${channel}"`);
      const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
      return { client, channel, payloads, pid: pid as number };
    };

    it('given a relay with NOTIFY off, when its own pool commits a row, then no NOTIFY is sent, it holds no LISTEN connection, and the row is relayed', async () => {
      // given
      const { db, relay } = await openOutbox('quiet', publisher, NOT_NOTIFYING);
      const session = await listenTo('quiet');
      try {
        relay.onApplicationBootstrap();

        // when
        const outgoing = message('good_news');
        await db.transaction((tx) => putInOutbox(tx, outgoing));
        // Notifications come in commit order: one the commit had sent would come before this marker.
        await session.client.query('SELECT pg_notify($1, $2)', [session.channel, 'marker']);

        // then
        await eventually(() => session.payloads.includes('marker'), { what: 'marker notified' });
        expect(session.payloads).toEqual(['marker']);
        await eventually(async () => (await tappedIds()).includes(outgoing.messageId), {
          what: 'row published',
        });
        expect(relay.listening()).toBe(false);
        const metrics = new ServiceMetrics({ enabled: true });
        new OutboxListenerGauge(relay, metrics);
        expect(parseMetrics((await metrics.scrape()).body).families).not.toContain(
          'boxoffice_outbox_listener_listening',
        );
        const listeners = await db.query(`SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> $2`, [
          `LISTEN "${session.channel}"`,
          session.pid,
        ]);
        expect(listeners).toEqual([]);
      } finally {
        await session.client.end();
      }
    });
  });
});
