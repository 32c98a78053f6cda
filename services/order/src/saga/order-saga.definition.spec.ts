import { Logger } from '@nestjs/common';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import type { Order } from './order.entity';
import { OrderSaga } from './order-saga';
import { ORDER_SAGA, stepWaitingIn } from './order-saga.definition';

/** An OrderSaga whose dependencies answer at once: what is checked is which step method runs when. */
function sagaOver(order: Partial<Order>) {
  const row = {
    seconds: 1,
    order_id: order.orderId,
    orderId: order.orderId,
    eventId: order.eventId,
    cancelled_at: new Date(),
    step: 'COMPENSATION',
  };
  // An UPDATE guarded by "still waiting for payment" moves only an order that is.
  const waitingForPayment = order.step === 'PAYMENT' && order.status === 'CREATED';
  const moves = (sql: string) =>
    waitingForPayment || !sql.includes("step = 'PAYMENT' AND status = 'CREATED'");
  // A SELECT answers its rows (the previous order_created: sent long enough ago); an UPDATE, its rows and count.
  const manager = {
    query: jest.fn(async (sql: string) =>
      sql.includes('AS due') ? [{ due: true }] : moves(sql) ? [[row], 1] : [[], 0],
    ),
  };
  const db = {
    manager,
    query: manager.query,
    getRepository: () => ({ findOne: async () => order }),
    transaction: (work: (tx: typeof manager) => unknown) => work(manager),
  };
  // A batch call answers one item per order: each committed, unless told otherwise.
  const inventory = {
    reserve: jest.fn(),
    commitMany: jest.fn(async (orderIds: string[]): Promise<object[]> => orderIds.map(() => ({}))),
    release: jest.fn(async () => ({})),
  };
  const saga = new OrderSaga(
    db as never,
    inventory as never,
    { ended: () => undefined, batched: () => () => undefined } as never,
    new SoldOutSales(0),
    {} as never,
    { behind: () => false } as never,
    { maxInFlight: 10, batchMaxItems: 10, requestDeadlineMs: 5_000, resendAfterMs: 10_000 } as never,
  );
  const spy = (method: keyof OrderSaga) => jest.spyOn(saga, method);
  return { saga, spy, inventory, manager };
}

const request = { eventId: 'gig', userId: 'alice', quantity: 1, paymentToken: 'tok_visa' };
const created = {
  orderId: 'o-1',
  eventId: 'gig',
  status: 'CREATED',
  step: 'PAYMENT',
  paymentId: null,
  reason: null,
  createdAt: new Date(),
} as const;
const cancelled = {
  ...created,
  status: 'CANCELLED',
  step: 'COMPENSATION',
  reason: 'PAYMENT_TIMEOUT',
  cancelledAt: new Date(),
  holdReleasedAt: null,
  paymentSettledAt: null,
} as const;
const view = { orderId: 'o-1', status: 'CREATED' } as OrderView;

describe('ORDER_SAGA, the definition, against OrderSaga', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('given the definition, when its names are looked up, then each is a method of OrderSaga', () => {
    const names = Object.values(ORDER_SAGA).flatMap((step) => [
      ...['invoke', 'handler', 'compensation', 'resend', 'timeout'].map(
        (field) => (step as Record<string, unknown>)[field],
      ),
      ...Object.values((step as { onReply?: object }).onReply ?? {}),
      ...Object.values((step as { onOutcome?: object }).onOutcome ?? {}),
    ]);

    for (const name of names.filter(Boolean))
      expect(typeof OrderSaga.prototype[name as keyof OrderSaga]).toBe('function');
  });

  it('given a request, when it is admitted, then steps 1 and 2 run in that order', async () => {
    const { saga, spy } = sagaOver(created);
    const admit = spy(ORDER_SAGA.admit.invoke);
    const hold = spy(ORDER_SAGA.holdStock.invoke).mockResolvedValue({} as never);
    const record = spy(ORDER_SAGA.record.invoke).mockResolvedValue(view);

    expect(await saga.admit(request)).toBe(view);

    expect(admit).toHaveBeenCalledTimes(1);
    expect(hold.mock.invocationCallOrder[0]).toBeLessThan(record.mock.invocationCallOrder[0]);
  });

  it.each([
    ['failed', new Error('connection lost')],
    ['racingRequestRefused', new DomainError('SOLD_OUT', 'sold out')],
  ] as const)(
    'given step 2 %s, when the request is answered, then its method undoes step 1',
    async (outcome, error) => {
      const { saga, spy } = sagaOver(created);
      spy(ORDER_SAGA.holdStock.invoke).mockResolvedValue({} as never);
      const record = spy(ORDER_SAGA.record.invoke);
      if (error instanceof DomainError) record.mockResolvedValue(error);
      else record.mockRejectedValue(error);
      const handled = spy(ORDER_SAGA.record.onOutcome[outcome]);
      const undone = spy(ORDER_SAGA.holdStock.compensation);

      await expect(saga.admit(request)).rejects.toBeDefined();

      expect(handled).toHaveBeenCalledTimes(1);
      expect(undone).toHaveBeenCalledWith(expect.any(String), 'gig');
    },
  );

  it.each([
    ['succeeded', created, 'succeeded'],
    ['failed', created, 'failed'],
    ['succeededLate', cancelled, 'succeeded'],
  ] as const)(
    'given the reply %s, when payment_result arrives, then the method the definition names handles it',
    async (reply, order, status) => {
      const { saga, spy } = sagaOver(order);
      const handler = spy(ORDER_SAGA.charge.handler);
      const handled = spy(ORDER_SAGA.charge.onReply[reply]);
      spy(ORDER_SAGA.charge.compensation).mockResolvedValue();

      const payload = { version: 1, orderId: 'o-1', status, paymentId: 'pay-1', processedAt: '' } as const;

      expect(await saga[ORDER_SAGA.charge.handler]([{ payload }])).toEqual([
        { status: 'fulfilled', value: undefined },
      ]);

      expect(handler).toHaveBeenCalledTimes(1);
      expect(handled).toHaveBeenCalledTimes(1);
    },
  );

  it('given no reply, when the order times out, then it is cancelled, payment asked to refund and the hold released', async () => {
    const { saga, spy } = sagaOver(created);
    const undone = spy(ORDER_SAGA.holdStock.compensation);
    const refund = spy(ORDER_SAGA.charge.compensation).mockResolvedValue();

    await saga[ORDER_SAGA.charge.timeout](created as Order);

    expect(refund).toHaveBeenCalledWith(expect.anything(), {
      orderId: 'o-1',
      reason: 'PAYMENT_TIMEOUT',
      cancelledAt: expect.any(Date),
    });
    expect(undone).toHaveBeenCalledWith('o-1', 'gig');
    expect(refund.mock.invocationCallOrder[0]).toBeLessThan(undone.mock.invocationCallOrder[0]);
  });

  it.each([
    ['committed', undefined],
    ['holdGone', new DomainError('HOLD_EXPIRED', 'expired')],
  ] as const)(
    'given inventory answers the commit %s, then the method the definition names follows',
    async (reply, error) => {
      const committing = { ...created, step: 'COMMIT', paymentId: 'pay-1' } as const;
      const { saga, spy, inventory } = sagaOver(committing);
      if (error) inventory.commitMany.mockResolvedValue([error]);
      const handled = spy(ORDER_SAGA.commit.onReply[reply]);
      spy(ORDER_SAGA.charge.compensation).mockResolvedValue();

      await saga[ORDER_SAGA.commit.invoke]([committing]);

      expect(inventory.commitMany).toHaveBeenCalledWith(['o-1']);
      expect(handled).toHaveBeenCalledTimes(1);
    },
  );

  it('given a cancelled order, when payment_cancelled arrives, then the method the definition names records it', async () => {
    const { saga, spy, manager } = sagaOver(cancelled);
    const handler = spy(ORDER_SAGA.compensate.handler);

    await saga.onPaymentCancelled({ version: 1, orderId: 'o-1', outcome: 'not_charged', processedAt: '' });

    expect(handler).toHaveBeenCalledTimes(1);
    expect(manager.query).toHaveBeenCalledWith(expect.stringContaining('payment_settled_at = now()'), [
      'o-1',
      'not_charged',
    ]);
  });

  it.each([
    ['PAYMENT', ['order_created'], created],
    ['COMMIT', [], { ...created, step: 'COMMIT' }],
    ['COMPENSATION', ['order_cancelled'], cancelled],
    ['COMPENSATION', [], { ...cancelled, paymentSettledAt: new Date() }],
  ] as const)(
    'given an order waiting in %s, when the driver finds it due, then the step is done again, %j sent again',
    async (step, resent, order) => {
      const { saga, spy, inventory, manager } = sagaOver(order);
      const again = spy(stepWaitingIn(step).resend!);

      await saga[stepWaitingIn(step).resend!](order as unknown as Order);

      expect(again).toHaveBeenCalledTimes(1);
      const sent = manager.query.mock.calls.flatMap((call: unknown[]) =>
        String(call[0]).includes('INSERT INTO outbox') ? [(call[1] as string[])[1]] : [],
      );
      expect(sent).toEqual(resent);
      if (step === 'COMMIT') expect(inventory.commitMany).toHaveBeenCalledWith(['o-1']);
      if (step === 'COMPENSATION') expect(inventory.release).toHaveBeenCalledWith('o-1', 'gig');
    },
  );
});
