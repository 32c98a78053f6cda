import { decideOnPayment } from './order-saga-decisions';

describe('OrderSaga transitions', () => {
  const succeeded = { status: 'succeeded' as const, paymentId: 'pay-1' };
  const failed = { status: 'failed' as const, paymentId: 'pay-2' };
  const waiting = { status: 'CREATED' as const, step: 'PAYMENT' as const, paymentId: null };

  it('given an order waiting for payment, when the payment succeeded, then its hold is to be committed', () => {
    expect(decideOnPayment(waiting, succeeded)).toEqual({ kind: 'commit-hold', paymentId: 'pay-1' });
  });

  it('given an order waiting for payment, when the payment failed, then it is to be CANCELLED as PAYMENT_DECLINED', () => {
    expect(decideOnPayment(waiting, failed)).toEqual({
      kind: 'cancel',
      paymentId: 'pay-2',
      reason: 'PAYMENT_DECLINED',
    });
  });

  it('given an order whose commit is under way, when its payment result comes again, then nothing happens', () => {
    const committing = { status: 'CREATED' as const, step: 'COMMIT' as const, paymentId: 'pay-1' };
    expect(decideOnPayment(committing, succeeded).kind).toBe('ignore');
  });

  it.each([
    ['CONFIRMED', 'DONE'],
    ['CANCELLED', 'COMPENSATION'],
    ['CANCELLED', 'DONE'],
  ] as const)(
    'given a %s order (%s) that knows its payment, when any payment result arrives again, then nothing happens',
    (status, step) => {
      expect(decideOnPayment({ status, step, paymentId: 'pay-1' }, succeeded).kind).toBe('ignore');
      expect(decideOnPayment({ status, step, paymentId: 'pay-1' }, failed).kind).toBe('ignore');
    },
  );

  it('given an order CANCELLED by the payment timeout, when a success arrives late, then its paymentId is to be recorded and the order stays CANCELLED', () => {
    const timedOut = { status: 'CANCELLED' as const, step: 'COMPENSATION' as const, paymentId: null };
    expect(decideOnPayment(timedOut, succeeded)).toEqual({ kind: 'record-late-charge', paymentId: 'pay-1' });
    expect(decideOnPayment({ ...timedOut, step: 'DONE' }, succeeded).kind).toBe('record-late-charge');
    expect(decideOnPayment(timedOut, failed).kind).toBe('ignore');
  });
});
