import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { startConsumerApp } from '@boxoffice/testing/consumer-test-app';
import { eventually } from '@boxoffice/testing/eventually';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';
import type { MessageContext } from './message-context';
import { subscription } from './subscription';

const ROUTING_KEY = 'order_cancelled';
const SETTLED = { timeoutMs: 15_000, intervalMs: 20 };
/** A handler that does not end on its own for this long stands for a call hanging on a dead dependency. */
const HANGS_MS = 5_000;
/** What a handler takes to wind down once aborted (its HTTP call's socket closes, its transaction rolls back). */
const WIND_DOWN_MS = 50;

interface Probe {
  orderId: string;
  hang: boolean;
}

function parseProbe(raw: unknown): Probe {
  const { orderId, hang } = (raw ?? {}) as { orderId?: unknown; hang?: unknown };
  if (typeof orderId !== 'string') throw new Error('orderId must be a string');
  return { orderId, hang: hang === true };
}

interface Run {
  orderId: string;
  attempt: number;
  startedAt: number;
  endedAt?: number;
  aborted?: boolean;
}

const runs: Run[] = [];

/** Hangs on its first attempt (until aborted, or HANGS_MS), then winds down; succeeds at once on a retry. */
@Controller()
class HangingListener {
  @EventPattern(ROUTING_KEY)
  async onCancelled(@Payload() payload: Probe, @Ctx() context: MessageContext): Promise<void> {
    const run: Run = { orderId: payload.orderId, attempt: context.attempt, startedAt: performance.now() };
    runs.push(run);
    if (!payload.hang || context.attempt > 1) {
      run.endedAt = performance.now();
      return;
    }
    const signal = context.signal as AbortSignal | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HANGS_MS);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    run.aborted = signal?.aborted ?? false;
    await new Promise((resolve) => setTimeout(resolve, WIND_DOWN_MS));
    run.endedAt = performance.now();
    throw new Error('gave up');
  }
}

async function startApp(
  vhost: TestVhost,
  serviceName: string,
  options: { handlerTimeoutMs: number; shutdownGraceMs?: number },
): Promise<INestApplication> {
  const { app } = await startConsumerApp([HangingListener], {
    url: vhost.url,
    serviceName,
    subscriptions: [subscription(serviceName, ROUTING_KEY, parseProbe)],
    retryDelayMs: 50,
    retryMaxDelayMs: 50,
    ...options,
  });
  return app;
}

describe('A handler that runs too long (real RabbitMQ, own vhost)', () => {
  let vhost: TestVhost;
  let broker: TestBroker;

  beforeAll(async () => {
    vhost = await createTestVhost('abort');
    broker = await TestBroker.open(vhost.url);
  });

  afterAll(async () => {
    await broker?.close();
    await vhost?.dispose();
  });

  const runsOf = (orderId: string) => runs.filter((run) => run.orderId === orderId);

  it('given a handler hanging past the handler timeout, when it times out, then its signal is aborted and it has ended before its retry starts', async () => {
    // given
    const app = await startApp(vhost, 'timeout', { handlerTimeoutMs: 300 });
    const orderId = randomUUID();

    // when
    await broker.publish(ROUTING_KEY, { orderId, hang: true });

    // then
    const [first, retry] = await eventually(() => runsOf(orderId).length === 2 && runsOf(orderId), {
      ...SETTLED,
      what: 'the retry',
    });
    expect(first).toMatchObject({ attempt: 1, aborted: true });
    expect(retry.attempt).toBe(2);
    expect(first.endedAt).toBeLessThanOrEqual(retry.startedAt);
    await app.close();
  });

  it('given a handler still running at shutdown, when the app closes, then the handler is aborted after the grace and has ended before the close resolves', async () => {
    // given
    const app = await startApp(vhost, 'shutdown', { handlerTimeoutMs: 60_000, shutdownGraceMs: 400 });
    const orderId = randomUUID();
    await broker.publish(ROUTING_KEY, { orderId, hang: true });
    const [running] = await eventually(() => runsOf(orderId).length === 1 && runsOf(orderId), {
      ...SETTLED,
      what: 'the handler running',
    });

    // when
    await app.close();
    const closedAt = performance.now();

    // then
    expect(running.aborted).toBe(true);
    expect(running.endedAt).toBeDefined();
    expect(running.endedAt!).toBeLessThanOrEqual(closedAt);
  });
});
