import { AFTER, BEFORE, sale } from './example-snapshots';
import { saleRates } from './sale-rates';

describe('saleRates', () => {
  it('given two snapshots 2 s apart, when rates are computed, then each outcome is its difference per second', () => {
    expect(saleRates(BEFORE, AFTER).get('final')).toEqual({
      accepted: 12,
      confirmed: 9,
      cancelled: 2,
      cancelledBy: { PAYMENT_DECLINED: 1, HOLD_EXPIRED: 1 },
    });
  });

  it('given no previous snapshot (the first refresh, --once), when rates are computed, then there are none', () => {
    expect(saleRates(undefined, AFTER).size).toBe(0);
  });

  it('given a sale new since the previous snapshot, or whose orders could not be read, when rates are computed, then it has none', () => {
    const current = {
      ...AFTER,
      sales: [...AFTER.sales, sale('encore', { available: 5, held: 0, sold: 0 }, [0, 0, 0, {}])],
    };
    const unread = { ...AFTER, sales: [{ ...AFTER.sales[0], orders: null }] };

    expect([...saleRates(BEFORE, current).keys()]).toEqual(['final']);
    expect(saleRates(BEFORE, unread).size).toBe(0);
  });

  it('given a reason seen only before, when rates are computed, then it is listed at 0/s', () => {
    const quiet = { ...AFTER, sales: [sale('final', AFTER.sales[0].stock, [45, 10, 30, {}])] };
    expect(saleRates(BEFORE, quiet).get('final')?.cancelledBy).toEqual({ PAYMENT_DECLINED: 0 });
  });
});
