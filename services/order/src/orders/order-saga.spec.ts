import { afterCommit, afterRelease, stepForPayment } from './order-saga';

describe('OrderSaga transitions', () => {
  const succeeded = { status: 'succeeded' as const, paymentId: 'pay-1' };
  const failed = { status: 'failed' as const, paymentId: 'pay-2' };

  it('given a CREATED order, when the payment succeeded, then the hold is committed and the order CONFIRMED', () => {
    const step = stepForPayment('CREATED', succeeded);
    expect(step).toEqual({ kind: 'commit-hold', paymentId: 'pay-1' });
    expect(afterCommit('pay-1', true)).toEqual({ status: 'CONFIRMED', paymentId: 'pay-1' });
  });

  it('given a CREATED order, when the payment failed, then the hold is released and the order CANCELLED as declined', () => {
    const step = stepForPayment('CREATED', failed);
    expect(step).toEqual({ kind: 'release-hold', paymentId: 'pay-2', reason: 'PAYMENT_DECLINED' });
    expect(afterRelease(step as Extract<typeof step, { kind: 'release-hold' }>)).toEqual({
      status: 'CANCELLED',
      paymentId: 'pay-2',
      reason: 'PAYMENT_DECLINED',
    });
  });

  it('given a paid order whose hold expired, when the commit is refused, then it is CANCELLED as HOLD_EXPIRED', () => {
    expect(afterCommit('pay-1', false)).toEqual({
      status: 'CANCELLED',
      paymentId: 'pay-1',
      reason: 'HOLD_EXPIRED',
    });
  });

  it.each(['CONFIRMED', 'CANCELLED'] as const)(
    'given a %s order, when any payment result arrives again, then nothing happens',
    (status) => {
      expect(stepForPayment(status, succeeded).kind).toBe('ignore');
      expect(stepForPayment(status, failed).kind).toBe('ignore');
    },
  );
});
