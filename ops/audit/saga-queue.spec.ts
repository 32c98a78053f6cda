import { consumerQueueOf, isSagaQueue } from './saga-queue';

describe('isSagaQueue', () => {
  it.each([
    'payment.order_created',
    'order.payment_result.retry',
    'order.payment_result.retry.2',
    'payment.order_cancelled.retry.12',
    'payment.order_cancelled.dlq',
  ])('given %s, when the audit lists queues, then it counts it as a saga queue', (name) => {
    expect(isSagaQueue(name)).toBe(true);
  });

  it.each([
    'amq.gen-JzTY20BRgKO-HjmUJj0wLg',
    'order.payment_result.retry.x',
    'order.payment_result.dlq.2',
    'order.payment_result.retry.2.dlq',
    'orders',
  ])('given %s, when the audit lists queues, then it leaves it out', (name) => {
    expect(isSagaQueue(name)).toBe(false);
  });
});

describe('consumerQueueOf', () => {
  it.each([
    ['payment.order_created', 'payment.order_created'],
    ['order.payment_result.retry', 'order.payment_result'],
    ['payment.order_cancelled.retry.12', 'payment.order_cancelled'],
    ['payment.order_cancelled.dlq', 'payment.order_cancelled'],
  ])('given %s, when the monitor groups queues, then it belongs to %s', (name, consumer) => {
    expect(consumerQueueOf(name)).toBe(consumer);
  });
});
