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
});
