import { join } from 'node:path';
import type { PaymentResultMessage } from '@boxoffice/contracts/payment/payment-result.message';
import {
  ATTEMPT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  ERROR_HEADER,
  ORIGINAL_QUEUE_HEADER,
} from '@boxoffice/messaging/message-headers';
import { deadLetterQueueOf } from '@boxoffice/messaging/topology';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale } from '@boxoffice/testing/sale-stock';
import { TEST_RABBITMQ_MANAGEMENT_URL } from '@boxoffice/testing/test-vhost';
import { spawnWatched } from '@boxoffice/testing/watched-process';
import { OrderTestApp, startOrderStack } from '../../services/order/src/order.test-app';
import { DeadLetters } from './dead-letters';

const QUEUE = 'order.payment_result';
const DLQ = deadLetterQueueOf(QUEUE);

describe('npm run dlq: dead letters an operator lists, replays and purges (e2e, real order stack)', () => {
  let stack: OrderTestApp;
  let letters: DeadLetters;

  beforeAll(async () => {
    stack = await startOrderStack('dlq');
    await putSale(stack.inventory, 'gig', { totalStock: 10 });
    letters = await DeadLetters.open(stack.corner.vhost!.url);
  });
  afterAll(async () => {
    await letters?.close();
    await stack?.close();
  });

  /** A payment_result parked in order's DLQ as the consumer parks one (here: as if its attempts ran out). */
  function park(result: Omit<PaymentResultMessage, 'version' | 'processedAt'>): Promise<string> {
    const message: PaymentResultMessage = { version: 1, processedAt: new Date().toISOString(), ...result };
    // Straight to the DLQ through the default exchange; correlationId is the payload's orderId.
    return stack.broker.publish(DLQ, message, {
      exchange: '',
      headers: {
        [ATTEMPT_HEADER]: 8,
        [DEAD_LETTER_REASON_HEADER]: 'attempts-exhausted',
        [ERROR_HEADER]: 'inventory unreachable',
        [ORIGINAL_QUEUE_HEADER]: QUEUE,
      },
    });
  }

  /** `npm run dlq -- <args>` as an operator runs it on the services' vhost: how it exited and what it printed. */
  async function runDlq(...args: string[]): Promise<{ code: number | null; output: string }> {
    return runDlqOn(stack.corner.vhost!.url, ...args);
  }

  async function runDlqOn(url: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
    const dlq = spawnWatched(
      ['-r', require.resolve('@swc-node/register'), join(__dirname, 'dlq.ts'), ...args],
      {
        ...process.env,
        SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json'),
        RABBITMQ_URL: url,
        RABBITMQ_MANAGEMENT_URL: TEST_RABBITMQ_MANAGEMENT_URL,
      },
    );
    const exit = await eventually(() => dlq.exit(), {
      timeoutMs: 30_000,
      what: `dlq ${args.join(' ')} exited`,
    });
    return { code: exit.code, output: dlq.output() };
  }

  const statusOf = async (orderId: string): Promise<string> =>
    (await stack.http().get(`/orders/${orderId}`).expect(200)).body.status;

  it('given a payment_result parked for an order still CREATED, when listed and then replayed, then it is listed with its reason, and replayed the order ends CONFIRMED and the DLQ is empty', async () => {
    // given
    const { body: order } = await stack
      .http()
      .post('/orders')
      .send({ eventId: 'gig', userId: 'u1', quantity: 1 })
      .expect(202);
    const messageId = await park({ orderId: order.orderId, paymentId: 'pay-1', status: 'succeeded' });

    // when
    const listed = await letters.list(DLQ, 100);
    const replayed = await letters.replay(DLQ, [messageId], 100);

    // then
    expect(listed).toEqual([
      expect.objectContaining({
        messageId,
        originalQueue: QUEUE,
        reason: 'attempts-exhausted',
        error: 'inventory unreachable',
        attempt: 8,
      }),
    ]);
    expect(replayed.map((letter) => letter.messageId)).toEqual([messageId]);
    await eventually(async () => (await statusOf(order.orderId)) === 'CONFIRMED', {
      what: 'the order ended after the replay',
    });
    expect(await letters.list(DLQ, 100)).toEqual([]);
  });

  it('given two parked messages, when one is replayed by id, then the other stays parked; when purged, then none is left', async () => {
    // given
    const [first, second] = await Promise.all(
      ['u2', 'u3'].map(async (userId) => {
        const accepted = await stack.http().post('/orders').send({ eventId: 'gig', userId, quantity: 1 });
        return accepted.body as { orderId: string };
      }),
    );
    const declined = { status: 'failed', reason: 'card_declined' } as const;
    const kept = await park({ orderId: first.orderId, paymentId: 'pay-2', ...declined });
    const sent = await park({ orderId: second.orderId, paymentId: 'pay-3', ...declined });

    // when
    await letters.replay(DLQ, [sent], 100);

    // then
    await eventually(async () => (await statusOf(second.orderId)) === 'CANCELLED', {
      what: 'the replayed one ended',
    });
    expect(await statusOf(first.orderId)).toBe('CREATED');
    expect((await letters.list(DLQ, 100)).map((letter) => letter.messageId)).toEqual([kept]);
    expect(await letters.purge(DLQ)).toBe(1);
    expect(await letters.list(DLQ, 100)).toEqual([]);
  });

  it('given a parked message, when an operator runs `dlq check` and `dlq list --queue`, then check exits 1 naming the queue and its count, and list exits 0 with the message', async () => {
    // given
    await letters.purge(DLQ);
    const messageId = await park({ orderId: 'o-parked', paymentId: 'pay-4', status: 'succeeded' });

    // when
    const check = await runDlq('check');
    const list = await runDlq('list', '--queue', QUEUE);

    // then
    expect(check.code).toBe(1);
    expect(check.output).toMatch(/^order\.payment_result\.dlq +1$/m);
    expect(check.output).toMatch(/^1 parked message in 1 of \d+ dead-letter queues/m);
    expect(list).toEqual({ code: 0, output: expect.stringContaining(`${messageId}  attempts-exhausted`) });
  });

  it('given every dead-letter queue empty, when an operator runs `dlq check` and `dlq list --queue`, then both exit 0 and say so', async () => {
    // given
    await letters.purge(DLQ);

    // when
    const check = await runDlq('check');
    const list = await runDlq('list', '--queue', QUEUE);

    // then
    expect(check).toEqual({
      code: 0,
      output: expect.stringMatching(/^nothing parked: \d+ dead-letter queues, all empty\n$/),
    });
    expect(list).toEqual({ code: 0, output: 'no messages\n' });
  });

  it('given a vhost without any dead-letter queue (a wrong RABBITMQ_URL), when an operator runs `dlq check`, then it exits 2 saying no dead-letter queue was found', async () => {
    // given
    const wrongVhost = new URL(stack.corner.vhost!.url);
    wrongVhost.pathname = '/boxoffice-no-such-vhost';

    // when
    const check = await runDlqOn(wrongVhost.href, 'check');

    // then
    expect(check).toEqual({
      code: 2,
      output: expect.stringMatching(/^no dead-letter queue found in vhost boxoffice-no-such-vhost/),
    });
  });

  it('when an operator asks for `dlq --help`, or names no command it knows, then the usage lists every command, with exit 0 and 2', async () => {
    // when
    const help = await runDlq('--help');
    const unknown = await runDlq('count');

    // then
    expect(help.code).toBe(0);
    for (const command of ['check', 'list', 'show', 'replay', 'purge']) {
      expect(help.output).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(unknown).toEqual({ code: 2, output: help.output });
  });
});
