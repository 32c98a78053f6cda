import { ShutdownState } from '@boxoffice/health/shutdown-state';
import { eventually } from '@boxoffice/testing/eventually';
import { OrderTestApp, startOrderStack } from './order.test-app';

const BACKLOG_LIMIT = 2;

describe("Order's health endpoints (e2e: Postgres and RabbitMQ behind proxies, real inventory)", () => {
  let stack: OrderTestApp;

  beforeAll(async () => {
    stack = await startOrderStack('order_health', {
      proxyPostgres: true,
      proxyRabbitmq: true,
      order: { OUTBOX_READY_MAX_BACKLOG: String(BACKLOG_LIMIT) },
    });
  });
  afterAll(() => stack?.close());

  const ready = () => stack.http().get('/health/ready');
  const readyAgain = () =>
    eventually(async () => (await ready()).status === 200, { timeoutMs: 20_000, what: 'ready again' });

  it('given every dependency is there, when asked, then ready and live answer 200 in terminus form, and /health is ready by its old name', async () => {
    const answer = await ready();
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'ok',
      info: {
        database: { status: 'up' },
        broker: { status: 'up', connection: 'connected', consumers: 'consuming' },
        outbox: { status: 'up', backlog: 0, limit: BACKLOG_LIMIT },
      },
      error: {},
      details: expect.any(Object),
    });
    expect((await stack.http().get('/health')).body).toEqual(answer.body);
    expect((await stack.http().get('/health/live')).body).toMatchObject({ status: 'ok' });
  });

  it('given the database is cut off, when asked, then ready answers 503 naming the database, while live still answers 200', async () => {
    await stack.postgresProxy!.cut();
    try {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({
        status: 'error',
        error: { database: { status: 'down', message: expect.any(String) } },
        info: { broker: { status: 'up' } },
      });
      expect((await stack.http().get('/health')).status).toBe(503);
      expect((await stack.http().get('/health/live')).status).toBe(200);
    } finally {
      await stack.postgresProxy!.restore();
    }
    await readyAgain();
  });

  it('given the broker connection is cut, when asked, then ready answers 503 naming the broker, until the consumers are back', async () => {
    await stack.rabbitProxy!.cut();
    try {
      const answer = await eventually(
        async () => {
          const now = await ready();
          return now.status === 503 && now;
        },
        { what: 'not ready without the broker' },
      );
      expect(answer.body.error).toEqual({
        broker: { status: 'down', connection: 'disconnected', consumers: 'not consuming' },
      });
    } finally {
      await stack.rabbitProxy!.restore();
    }
    await readyAgain();
  });

  it('given more outbox rows waiting for the broker than OUTBOX_READY_MAX_BACKLOG, when asked, then ready answers 503 naming the outbox with its backlog', async () => {
    // rows no queue is bound for: the relay leaves them waiting, as it would a broker that takes nothing
    for (let i = 0; i <= BACKLOG_LIMIT; i++) {
      await stack.db.query(
        `INSERT INTO outbox (message_id, routing_key, correlation_id, payload) VALUES ($1, 'nobody_listens', $1, '{}')`,
        [`stuck-${i}`],
      );
    }
    try {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body.error).toEqual({
        outbox: { status: 'down', backlog: BACKLOG_LIMIT + 1, limit: BACKLOG_LIMIT },
      });
    } finally {
      await stack.db.query(`DELETE FROM outbox WHERE routing_key = 'nobody_listens'`);
    }
    await readyAgain();
  });

  it('given a stop signal came, when asked, then ready answers 503 shutting down and live still answers 200', async () => {
    stack.app.get(ShutdownState, { strict: false }).begin('SIGTERM');

    const answer = await ready();

    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { shutdown: { status: 'down', message: 'shutting down' } } });
    expect((await stack.http().get('/health/live')).status).toBe(200);
  });
});
