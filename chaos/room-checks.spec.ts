import { claimsOf } from './room-buyers';
import type { SeenPurchase, SeenRoomAnswer } from './room-buyers-tally';
import {
  checkAdmissionRate,
  fastestAdmission,
  ordersAdmitted,
  toldSoldOut,
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

  describe('toldSoldOut', () => {
    const SOLD_OUT_AT = 100_000;
    /** One answer of the room to `userId`, asked `after` ms after the sell-out. */
    const answer = (
      userId: string,
      after: number,
      route: 'enter' | 'look',
      status: number,
      told: Partial<Pick<SeenRoomAnswer, 'admitted' | 'soldOut' | 'expired' | 'code'>> = {},
    ): SeenRoomAnswer => ({
      route,
      userId,
      sentAt: SOLD_OUT_AT + after,
      answeredAt: SOLD_OUT_AT + after + 5,
      status,
      code: null,
      admitted: false,
      soldOut: false,
      expired: false,
      ...told,
    });

    it('given a sale that did not sell out, when checked, then there is nothing to check', () => {
      const found = toldSoldOut('sale', [answer('ann', 9_000, 'look', 200)], [], null);

      expect(found).toEqual({ violations: [], line: 'not sold out: nobody to tell' });
    });

    it('given a sale that did not sell out, when a buyer was told it had, then ROOM_TOLD_SOLD_OUT_UNSOLD names them', () => {
      const told = [{ userId: 'ann', route: 'look' as const, at: SOLD_OUT_AT }];

      const found = toldSoldOut('sale', [answer('ann', 0, 'look', 200, { soldOut: true })], told, null);

      expect(found.violations).toEqual([
        {
          code: 'ROOM_TOLD_SOLD_OUT_UNSOLD',
          where: 'sale',
          detail: '1 buyers told sold out by a sale that did not sell out: look of ann',
        },
      ]);
    });

    it('given a buyer whose turn came before the sell-out, when it queues again after it, then its entry answered (200, its place served) is no violation', () => {
      const answers = [answer('gus', 9_000, 'enter', 200, { admitted: true })];

      expect(toldSoldOut('sale', answers, [], SOLD_OUT_AT).violations).toEqual([]);
    });

    it('given a room that answered as if on sale only within 5 s of the sell-out, then told every waiting entry and arrival, when checked, then nothing is found and the line says who was told when', () => {
      // given: ann still waiting 2 s after the sell-out (the room had not read it yet), told at 7 s; bob admitted
      // before, his token answered again at 8 s; cy's admission expired; dee arriving at 6 s, 409
      const answers = [
        answer('ann', 2_000, 'look', 200),
        answer('ann', 7_000, 'look', 200, { soldOut: true }),
        answer('bob', 8_000, 'look', 200, { admitted: true }),
        answer('cy', 9_000, 'look', 200, { expired: true }),
        answer('dee', 6_000, 'enter', 409, { code: 'SOLD_OUT' }),
      ];
      const told = [
        { userId: 'ann', route: 'look' as const, at: SOLD_OUT_AT + 7_005 },
        { userId: 'dee', route: 'enter' as const, at: SOLD_OUT_AT + 6_005 },
      ];

      // when
      const found = toldSoldOut('sale', answers, told, SOLD_OUT_AT);

      // then
      expect(found).toEqual({
        violations: [],
        line: 'sold out; 2 told (1 waiting, 1 arriving), the last waiting one 7.0 s after the sell-out',
      });
    });

    it('given a room still giving places and entries more than 5 s after the sell-out, when checked, then ROOM_NOT_TOLD_SOLD_OUT names them', () => {
      const answers = [
        answer('ann', 6_000, 'look', 200),
        answer('eve', 12_000, 'enter', 201),
        answer('fay', 4_000, 'enter', 201),
      ];

      const { violations } = toldSoldOut('sale', answers, [], SOLD_OUT_AT);

      expect(violations).toEqual([
        {
          code: 'ROOM_NOT_TOLD_SOLD_OUT',
          where: 'sale',
          detail:
            '2 answers more than 5 s after the sell-out not SOLD_OUT: look of ann 6.0 s after: 200 waiting; ' +
            'enter of eve 12.0 s after: 201 an entry',
        },
      ]);
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
