import { claimsOf } from './room-buyers';
import type { SeenPurchase } from './room-buyers-tally';
import {
  checkAdmissionRate,
  fastestAdmission,
  ordersAdmitted,
  type OrderRow,
  type ServingSample,
} from './room-checks';

/** A read of the room's `admitted` that took 20 ms, `at` ms into the run. */
const read = (at: number, admitted: number): ServingSample => ({ sentAt: at, answeredAt: at + 20, admitted });

/** Reads every 250 ms for `seconds`, the counter moving `perSecond`. */
const steady = (perSecond: number, seconds: number): ServingSample[] =>
  Array.from({ length: seconds * 4 + 1 }, (_, i) => read(i * 250, Math.floor((i * 250 * perSecond) / 1000)));

/** A buyer's POST /orders answered 202 with `orderId`, under `key`, with the token `jti` of `epoch`. */
const purchase = (key: string, jti: string, orderId: string, epoch = 'e-1'): SeenPurchase => ({
  userId: `u-${key}`,
  key,
  body: '{}',
  jti,
  epoch,
  sentAt: 0,
  answeredAt: 1,
  status: 202,
  code: null,
  orderId,
});
const row = (orderId: string, key: string): OrderRow => ({ order_id: orderId, user_id: `u-${key}`, key });

describe('the waiting room chaos checks', () => {
  describe('ordersAdmitted', () => {
    it("given every order's key named by a spent token, the one its buyer bought with, when checked, then nothing is found", () => {
      const found = ordersAdmitted(
        'sale',
        [row('o-1', 'k1'), row('o-2', 'k2')],
        [
          ['k:k1', 'j-1'],
          ['k:k2', 'j-2'],
        ],
        [purchase('k1', 'j-1', 'o-1'), purchase('k2', 'j-2', 'o-2')],
      );

      expect(found).toEqual([]);
    });

    it('given one token that bought two orders under two keys, when checked, then the one Redis does not name is ORDER_WITHOUT_ADMISSION', () => {
      // Redis keeps one spent record per token: the second spend (an attacker's, not a buyer's) leaves its order without one.
      const found = ordersAdmitted(
        'sale',
        [row('o-1', 'k1'), row('o-2', 'k2')],
        [['k:k1', 'j-1']],
        [purchase('k1', 'j-1', 'o-1')],
      );

      expect(found).toEqual([expect.objectContaining({ code: 'ORDER_WITHOUT_ADMISSION' })]);
      expect(found[0].detail).toContain('o-2');
    });

    it("given a lost epoch's token answered 202 for two orders, when checked, then ADMISSION_BOUGHT_TWICE", () => {
      const lost = { lostEpochs: new Set(['e-0']) };
      const found = ordersAdmitted(
        'sale',
        [row('o-1', 'k1'), row('o-2', 'k2')],
        [],
        [purchase('k1', 'j-1', 'o-1', 'e-0'), purchase('k2', 'j-1', 'o-2', 'e-0')],
        lost,
      );

      expect(found).toEqual([expect.objectContaining({ code: 'ADMISSION_BOUGHT_TWICE' })]);
    });

    it("given a lost epoch's order without a spent record, when checked, then its buyer's 202 vouches for it", () => {
      const found = ordersAdmitted('sale', [row('o-1', 'k1')], [], [purchase('k1', 'j-1', 'o-1', 'e-0')], {
        lostEpochs: new Set(['e-0']),
      });

      expect(found).toEqual([]);
    });
  });

  describe('checkAdmissionRate', () => {
    it('given a counter moving at the set rate, when checked, then nothing is found', () => {
      expect(checkAdmissionRate('sale', steady(1000, 10), 1000)).toEqual([]);
    });

    it("given a counter jumping by one second's worth at once, when checked, then the burst is allowed", () => {
      const samples = [...steady(1000, 5), read(5_100, 6_000)];

      expect(checkAdmissionRate('sale', samples, 1000)).toEqual([]);
    });

    it('given a counter moving a fifth faster than set for 10 s, when checked, then ROOM_ADMITTED_TOO_FAST', () => {
      const [violation] = checkAdmissionRate('sale', steady(1200, 10), 1000);

      expect(violation).toMatchObject({ code: 'ROOM_ADMITTED_TOO_FAST', where: 'sale' });
    });

    it('given too few reads to judge, when checked, then it is said', () => {
      const [violation] = checkAdmissionRate('sale', steady(1000, 1), 1000);

      expect(violation.detail).toContain('only 5 reads');
    });
  });

  it('given reads of a steady counter, when the fastest is asked, then it is the rate within the reads’ latency', () => {
    const fastest = fastestAdmission(steady(1000, 10));

    expect(fastest).toBeGreaterThanOrEqual(1000);
    expect(fastest).toBeLessThan(1050);
  });

  it('given an admission token, when its claims are read, then they come back unverified', () => {
    const payload = { sub: 'fred', jti: 'j-1', epoch: 'e-1', eventId: 'sale', entryId: 'n-1' };
    const token = `x.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.y`;

    expect(claimsOf(token)).toEqual(payload);
  });
});
