import { join } from 'node:path';
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
    const inventory = await corner.startProcess('inventory');
    const payment = await corner.startProcess('payment', fastOutbox);
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

  it('given a running stack, when a user runs a sale of 20 tickets for 100 buyers, 10 % declined, with --json, then every buyer is answered, no ticket is oversold and the audit finds nothing', async () => {
    // when
    const sale = spawnWatched(
      [
        '-r',
        require.resolve('@swc-node/register'),
        join(__dirname, 'sale.ts'),
        ...['--json', '--stock', '20', '--buyers', '100', '--concurrency', '20', '--decline-rate', '0.1'],
      ],
      { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json'), ...stack.env },
    );
    let stdout = '';
    sale.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exit = await eventually(() => sale.exit(), { timeoutMs: 50_000, what: 'the sale exited' });

    // then
    expect({ exit, output: exit?.code === 0 ? '' : sale.output() }).toEqual({
      exit: { code: 0, signal: null },
      output: '',
    });
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    const summary = JSON.parse(stdout) as SaleSummary;
    expect(summary.answered).toBe(100);
    expect(summary.orders.accepted).toBe(summary.orders.confirmed + summary.orders.cancelled);
    expect(summary.orders.confirmed).toBeLessThanOrEqual(20);
    expect(summary.orders.confirmed).toBeGreaterThan(0);
    expect(summary.orders.cancelledBy).toHaveProperty('PAYMENT_DECLINED');
    expect(summary.violations).toEqual([]);
    expect(summary.latencyMs.all.count).toBe(100);
  }, 60_000);
});
