import { performance } from 'node:perf_hooks';
import { driveClosed, driveOpen, newDriveRecord, scheduledOffsetMs, type Buy } from './buyer-drivers';

/** Holds the event loop, as a stalled client or server would. */
const stall = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

describe('npm run sale: the drivers', () => {
  it('given a rate, when buyers are scheduled, then buyer i is due i/rate seconds after the start', () => {
    expect([0, 1, 50].map((i) => scheduledOffsetMs(i, 100))).toEqual([0, 10, 500]);
  });

  it('given a stall of 200 ms at the first buyer, when driven open, then later buyers count their latency from when they were due', async () => {
    // given: 20 buyers at 200/s (one every 5 ms); the first answer holds the process for 200 ms
    const record = newDriveRecord();
    const buy = async (index: number) => {
      if (index === 0) stall(200);
      return { status: 409 };
    };
    // when
    await driveOpen(20, 200, buy, record);
    // then: buyer 1 was due at 5 ms, sent after the stall: its latency shows the ~195 ms it waited
    expect(record.answers).toHaveLength(20);
    const latencies = record.answers.map((answer) => answer.latencyMs);
    expect(Math.max(...latencies)).toBeGreaterThanOrEqual(150);
    expect(latencies.filter((ms) => ms >= 100).length).toBeGreaterThanOrEqual(10);
  });

  it('given a concurrency, when driven closed, then no more than that many are in flight and each buyer is sent once', async () => {
    const record = newDriveRecord();
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await driveClosed(
      50,
      5,
      async (index) => {
        seen.push(index);
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return { status: 202, orderId: `o${index}` };
      },
      record,
    );
    expect(most).toBe(5);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(record.acceptedOrderIds).toHaveLength(50);
  });

  it('given a buyer that waited 150 ms in a waiting room, when driven, then its latency counts from its admission, not its arrival', async () => {
    // given
    const record = newDriveRecord();
    const throughRoom = async () => {
      stall(150);
      return { status: 202, orderId: 'o', admittedAt: performance.now() };
    };
    // when
    await driveClosed(1, 1, throughRoom, record);
    // then
    expect(record.answers[0].latencyMs).toBeLessThan(100);
  });

  it('given a buyer told sold out, when driven, then it is no answer of POST /orders: neither its status nor its latency is among them', async () => {
    // given: buyer 0 told sold out in the room, buyer 1 admitted and answered 409 by POST /orders
    const record = newDriveRecord();
    const buy: Buy = async (index) =>
      index === 0 ? { status: 409, toldSoldOut: true } : { status: 409, admittedAt: performance.now() };

    // when
    await driveClosed(2, 2, buy, record);

    // then
    expect(record.sent).toBe(2);
    expect(record.answers).toEqual([{ status: 409, latencyMs: expect.any(Number) }]);
  });
});
