import { afterCommit, afterRelease, afterTimeout, decideOnPayment } from './order-saga-decisions';

describe('OrderSaga transitions', () => {
  const succeeded = { status: 'succeeded' as const, paymentId: 'pay-1' };
  const failed = { status: 'failed' as const, paymentId: 'pay-2' };
  const created = { status: 'CREATED' as const, paymentId: null };

  it('given a CREATED order, when the payment succeeded, then the hold is committed and the order CONFIRMED', () => {
    const step = decideOnPayment(created, succeeded);
    expect(step).toEqual({ kind: 'commit-hold', paymentId: 'pay-1' });
    expect(afterCommit('pay-1', true)).toEqual({ status: 'CONFIRMED', paymentId: 'pay-1' });
  });

  it('given a CREATED order, when the payment failed, then the hold is released and the order CANCELLED as declined', () => {
    const step = decideOnPayment(created, failed);
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
    'given a %s order that knows its payment, when any payment result arrives again, then nothing happens',
    (status) => {
      expect(decideOnPayment({ status, paymentId: 'pay-1' }, succeeded).kind).toBe('ignore');
      expect(decideOnPayment({ status, paymentId: 'pay-1' }, failed).kind).toBe('ignore');
    },
  );

  it('given an order CANCELLED by the payment timeout, when a success arrives late, then the charge is refunded and the order stays CANCELLED', () => {
    const timedOut = { status: 'CANCELLED' as const, paymentId: null };
    expect(afterTimeout()).toEqual({ status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' });
    expect(decideOnPayment(timedOut, succeeded)).toEqual({ kind: 'refund-late-charge', paymentId: 'pay-1' });
    expect(decideOnPayment(timedOut, failed).kind).toBe('ignore');
  });
});
