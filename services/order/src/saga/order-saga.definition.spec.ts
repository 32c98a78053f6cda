import { Logger } from '@nestjs/common';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { SoldOutSales } from '../sold-out/sold-out-sales';
import type { Order } from './order.entity';
import { OrderSaga } from './order-saga';
import { ORDER_SAGA, SAGA_METHODS, type SagaMethod } from './order-saga.definition';

/** An OrderSaga whose dependencies answer at once: what is checked is which step method runs when. */
function sagaOver(order: Partial<Order>) {
  const manager = { query: jest.fn(async () => [[{ seconds: 1, order_id: order.orderId }], 1]) };
  const db = {
    manager,
    getRepository: () => ({ findOne: async () => order }),
    transaction: (work: (tx: typeof manager) => unknown) => work(manager),
  };
  const inventory = {
    reserve: jest.fn(),
    commit: jest.fn(async () => ({})),
    release: jest.fn(async () => ({})),
  };
  const saga = new OrderSaga(
    db as never,
    inventory as never,
    { wake: () => undefined } as never,
    { ended: () => undefined } as never,
    new SoldOutSales(0),
    {} as never,
    { behind: () => false } as never,
    { maxInFlight: 10, requestDeadlineMs: 5_000 } as never,
  );
  // the steps are private to OrderSaga: spied on by the names the definition gives them
  const steps = saga as unknown as Record<SagaMethod, (...args: never[]) => Promise<unknown>>;
  const spy = (method: SagaMethod) => jest.spyOn(steps, method);
  return { saga, spy };
}

const request = { eventId: 'gig', userId: 'alice', quantity: 1, paymentToken: 'tok_visa' };
const created = { orderId: 'o-1', eventId: 'gig', status: 'CREATED', paymentId: null, reason: null } as const;
const view = { orderId: 'o-1', status: 'CREATED' } as OrderView;

describe('ORDER_SAGA, the definition, against OrderSaga', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('given the definition, when its names are looked up, then each is a method of OrderSaga', () => {
    const names = Object.values(ORDER_SAGA).flatMap((step) => [
      ...['invoke', 'handler', 'compensation'].map((field) => (step as Record<string, unknown>)[field]),
      ...Object.values((step as { onOutcome?: object }).onOutcome ?? {}),
      ...Object.values((step as { onReply?: object }).onReply ?? {}),
    ]);

    const methods = OrderSaga.prototype as unknown as Record<string, unknown>;
    for (const name of [...SAGA_METHODS, ...names.filter(Boolean)])
      expect(typeof methods[name as string]).toBe('function');
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
    ['succeededLate', { ...created, status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' }, 'succeeded'],
  ] as const)(
    'given the reply %s, when payment_result arrives, then the method the definition names handles it',
    async (reply, order, status) => {
      const { saga, spy } = sagaOver(order);
      const handler = spy(ORDER_SAGA.charge.handler);
      const handled = spy(ORDER_SAGA.charge.onReply[reply]);
      spy(ORDER_SAGA.charge.compensation).mockResolvedValue(undefined);

      await saga.onPaymentResult({ version: 1, orderId: 'o-1', status, paymentId: 'pay-1' } as never);

      expect(handler).toHaveBeenCalledTimes(1);
      expect(handled).toHaveBeenCalledTimes(1);
    },
  );

  it('given no reply, when the order times out, then the hold is released and payment asked to refund', async () => {
    const { saga, spy } = sagaOver(created);
    const undone = spy(ORDER_SAGA.holdStock.compensation);
    const refund = spy(ORDER_SAGA.charge.compensation).mockResolvedValue(undefined);

    await saga[ORDER_SAGA.charge.onReply.none](created as Order);

    expect(undone).toHaveBeenCalledWith('o-1', 'gig');
    expect(refund).toHaveBeenCalledWith(expect.anything(), 'o-1', 'PAYMENT_TIMEOUT');
  });
});
