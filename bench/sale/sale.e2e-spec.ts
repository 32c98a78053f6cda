import { join } from 'node:path';
import { allStarted } from '@boxoffice/testing/all-started';
import { eventually } from '@boxoffice/testing/eventually';
import { operatorEnv } from '@boxoffice/testing/operator-env';
import { startInCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import type { SaleSummary } from './sale-summary';

interface Stack {
  corner: TestCorner;
  /** What an operator's environment gives `npm run sale`: where the stack answers and keeps its records. */
  env: Record<string, string>;
}

/** The three services as real processes in a corner of their own. */
function startStack(): Promise<Stack> {
  return startInCorner('sale', { vhost: true }, async (corner) => {
    const fastOutbox = { OUTBOX_POLL_INTERVAL_MS: '100' };
    const [inventory, payment] = await allStarted([
      corner.startProcess('inventory'),
      corner.startProcess('payment', fastOutbox),
    ]);
    const order = await corner.startProcess('order', { ...fastOutbox, INVENTORY_URL: inventory.url });
    const env = operatorEnv(corner, { inventory: inventory.url, order: order.url, payment: payment.url });
    return { corner, env };
  });
}

describe('npm run sale: a sale from the command line (e2e, three real services)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.corner.dispose();
  });

  /** Runs `npm run sale` with `args` against the stack; its exit, its stdout (the JSON) and all it printed. */
  const runSale = async (args: string[]) => {
    const sale = spawnWatched(
      ['-r', require.resolve('@swc-node/register'), join(__dirname, 'sale.ts'), ...args],
      { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json'), ...stack.env },
    );
    let stdout = '';
    sale.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exit = await eventually(() => sale.exit(), { timeoutMs: 40_000, what: 'the sale exited' });
    return { exit, stdout, output: sale.output() };
  };

  /** The sale's --json summary, once it exited 0 (else what it printed, to read why). */
  const summaryOf = (run: Awaited<ReturnType<typeof runSale>>) => {
    expect({ exit: run.exit, output: run.exit?.code === 0 ? '' : run.output }).toEqual({
      exit: { code: 0, signal: null },
      output: '',
    });
    return JSON.parse(run.stdout) as SaleSummary;
  };

  it('given a running stack, when a user runs a sale of 20 tickets for 100 buyers, 10 % declined, with --json, then every buyer is answered, no ticket is oversold and the audit finds nothing', async () => {
    // when
    const run = await runSale(
      '--json --stock 20 --buyers 100 --concurrency 20 --decline-rate 0.1'.split(' '),
    );

    // then
    const summary = summaryOf(run);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(summary.answered).toBe(100);
    expect(summary.orders.accepted).toBe(summary.orders.confirmed + summary.orders.cancelled);
    expect(summary.orders.confirmed).toBeLessThanOrEqual(20);
    expect(summary.orders.confirmed).toBeGreaterThan(0);
    expect(summary.orders.cancelledBy).toHaveProperty('PAYMENT_DECLINED');
    expect(summary.violations).toEqual([]);
    expect(summary.latencyMs.all.count).toBe(100);
  }, 45_000);

  it('given a running stack, when a user runs an open-model sale at 40 req/s for 1 s, then 40 buyers are sent on schedule and answered', async () => {
    // when
    const run = await runSale('--json --stock 5 --rate 40 --duration 1'.split(' '));

    // then
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ model: 'open, 40 req/s', sent: 40, answered: 40, violations: [] });
    expect(summary.orders.confirmed).toBeLessThanOrEqual(5);
  }, 45_000);

  it('given a running stack, when a user runs a sale of 5 tickets for 30 buyers through a waiting room admitting 3 a second after a 1 s pre-queue, then every buyer waits its turn and buys with its admission, or is told sold out, and nobody gets past the room', async () => {
    // when
    const run = await runSale(
      '--json --stock 5 --buyers 30 --waiting-room --admit-per-second 3 --pre-queue-seconds 1'.split(' '),
    );

    // then: the first two seconds' 6 take the 5 tickets, the room stands, then tells those still waiting (the last
    // of the 30 would be served after 10 s: the room reads the sell-out long before)
    const summary = summaryOf(run);
    const room = summary.room!;
    expect(room).toMatchObject({
      admitPerSecond: 3,
      preQueueSeconds: 1,
      entered: 30,
      bought: 5,
      orderWithoutAdmission: 429,
      ordersBeyondAdmitted: 0,
      breaches: [],
      failures: {},
    });
    expect(room.admitted + room.toldSoldOut).toBe(30);
    expect(room.toldSoldOut).toBeGreaterThan(0);
    expect(room.toldSoldOutWaiting).toBe(room.toldSoldOut); // all arrived before the sell-out
    // Told at their next poll (a short queue polls every second or two) after the room read the sale sold out.
    expect(room.toldAfterSellOutMs?.max).toBeLessThan(10_000);
    // Only the admitted ordered: 5 bought, the others answered 409 by POST /orders.
    expect(summary).toMatchObject({ sent: 30, answered: room.admitted });
    expect(summary.answersByStatus).toEqual({
      202: 5,
      ...(room.admitted > 5 && { 409: room.admitted - 5 }),
    });
    // Everyone arrived in the pre-queue: nobody was let in before its end.
    expect(room.timeInRoomMs?.p50).toBeGreaterThanOrEqual(1000);
    expect(summary.violations).toEqual([]);
  }, 45_000);
});
