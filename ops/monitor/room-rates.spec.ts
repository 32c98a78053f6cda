import { AFTER, BEFORE } from './example-snapshots';
import type { MonitorSnapshot } from './monitor-snapshot';
import { roomRates } from './room-rates';

describe('roomRates (buyers admitted a second per waiting room)', () => {
  const room = (admitted: number) => ({
    eventId: 'final',
    queue: {
      admitPerSecond: 50,
      queued: 10,
      admitted,
      longestEstimatedWaitSeconds: 1,
      stock: 'on_sale' as const,
    },
  });
  const at = (rooms: MonitorSnapshot['rooms'], seconds: number): MonitorSnapshot => ({
    ...AFTER,
    at: BEFORE.at + seconds * 1000,
    rooms,
  });

  it('given two snapshots 2 s apart, when final’s serving counter moved by 96, then 48 a second; the closed room has none', () => {
    expect(roomRates(BEFORE, AFTER)).toEqual(new Map([['final', 48]]));
  });

  it('given a single snapshot (--once), then no rate', () => {
    expect(roomRates(undefined, AFTER)).toEqual(new Map());
  });

  it('given a counter that went back (the room reopened: a new queue) or a room unread, then no rate rather than a wrong one', () => {
    expect(roomRates(at([room(500)], 0), at([room(20)], 2))).toEqual(new Map());
    expect(roomRates(at(undefined, 0), at([room(20)], 2))).toEqual(new Map());
    expect(roomRates(at([room(0)], 0), at([room(0)], 2))).toEqual(new Map([['final', 0]]));
  });
});
