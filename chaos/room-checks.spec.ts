import { claimsOf } from './room-buyers';
import { checkAdmissionRate, fastestAdmission, type ServingSample } from './room-checks';

/** A read of the room's `admitted` that took 20 ms, `at` ms into the run. */
const read = (at: number, admitted: number): ServingSample => ({ sentAt: at, answeredAt: at + 20, admitted });

/** Reads every 250 ms for `seconds`, the counter moving `perSecond`. */
const steady = (perSecond: number, seconds: number): ServingSample[] =>
  Array.from({ length: seconds * 4 + 1 }, (_, i) => read(i * 250, Math.floor((i * 250 * perSecond) / 1000)));

describe('the waiting room chaos checks', () => {
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
