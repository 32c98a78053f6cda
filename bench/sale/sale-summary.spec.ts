import { renderProgress, renderSummary, summarize } from './sale-summary';
import { parseSaleOptions, type SaleOptions } from './sale-options';

const optionsOf = (...args: string[]) =>
  (
    parseSaleOptions(['--stock', '20', '--buyers', '4', '--event', 'gig', ...args], () => 'x') as {
      options: SaleOptions;
    }
  ).options;
const options = optionsOf();

describe('npm run sale: the summary', () => {
  it('given the answers and the orders of a sale, when summarized and rendered, then a person reads rate, latency per status, orders by reason and the violations', () => {
    // given
    const summary = summarize({
      options,
      sent: 4,
      answers: [
        { status: 202, latencyMs: 12 },
        { status: 202, latencyMs: 20 },
        { status: 409, latencyMs: 3 },
        { status: 0, latencyMs: 5 },
      ],
      driveSeconds: 0.5,
      orders: { accepted: 2, confirmed: 1, created: 0, cancelled: 1, cancelledBy: { PAYMENT_DECLINED: 1 } },
      firstRequestToLastEndedSeconds: 1.234,
      waitDeadlineHit: false,
      violations: [{ code: 'OVERSOLD', where: 'gig', detail: 'sold 21 of 20' }],
    });

    // when
    const text = renderSummary(summary);

    // then
    expect(summary).toMatchObject({
      answered: 3,
      requestsPerSecond: 8,
      answersByStatus: { 202: 2, 409: 1, 0: 1 },
    });
    expect(text.split('\n')).toEqual([
      'sale gig: stock 20, 4 buyers (closed, 100 concurrent)',
      'answers: 1 × no answer, 2 × 202, 1 × 409; 8 req/s',
      'latency      count      p50      p90      p99      max',
      '  0              1   5.0 ms   5.0 ms   5.0 ms   5.0 ms',
      '  202            2    12 ms    20 ms    20 ms    20 ms',
      '  409            1   3.0 ms   3.0 ms   3.0 ms   3.0 ms',
      '  all            4   5.0 ms    20 ms    20 ms    20 ms',
      'orders: 2 accepted, 1 confirmed, 1 cancelled (1 PAYMENT_DECLINED)',
      'first request to last order ended: 1.23 s',
      'violations (1):',
      '  OVERSOLD gig: sold 21 of 20',
    ]);
  });

  it('given counts so far, when the progress line is drawn, then it shows sent, each class of answer and the rate', () => {
    const counts = { sent: 40, accepted: 20, soldOut: 15, otherClientError: 1, serverError: 0 };
    expect(renderProgress(counts, 812.4, 100)).toBe(
      'sent 40/100  202 20  409 15  4xx 1  5xx/none 0  812 req/s',
    );
  });

  describe('through a waiting room', () => {
    const roomSale = (
      room: { admitted: number; waitsMs: number[]; orderWithoutAdmission: number },
      soldOut: { toldSoldOut: number; toldSoldOutWaitingAtMs: number[]; atEpochMs?: number } = {
        toldSoldOut: 0,
        toldSoldOutWaitingAtMs: [],
      },
    ) =>
      summarize({
        options: optionsOf('--waiting-room', '--admit-per-second', '2'),
        sent: 4,
        answers: [
          { status: 202, latencyMs: 12 },
          { status: 409, latencyMs: 3 },
          { status: 409, latencyMs: 3 },
        ],
        driveSeconds: 2,
        orders: { accepted: 1, confirmed: 1, created: 0, cancelled: 0, cancelledBy: {} },
        firstRequestToLastEndedSeconds: 2.5,
        waitDeadlineHit: false,
        violations: [],
        room: {
          record: {
            entered: 4,
            polls: 9,
            failures: { 'entry 503': 1 },
            toldSoldOut: soldOut.toldSoldOut,
            toldSoldOutWaitingAtMs: soldOut.toldSoldOutWaitingAtMs,
            ...room,
          },
          orderWithoutAdmission: room.orderWithoutAdmission,
        },
        soldOutAtEpochMs: soldOut.atEpochMs,
      });

    it('given buyers admitted after 0.2 to 1.9 s, when summarized and rendered, then a person reads the time in the room, admitted, bought and that nobody got past it', () => {
      // given
      const summary = roomSale({ admitted: 3, waitsMs: [1900, 200, 1100], orderWithoutAdmission: 429 });

      // when
      const text = renderSummary(summary).split('\n');

      // then
      expect(summary.room).toMatchObject({
        admitPerSecond: 2,
        entered: 4,
        admitted: 3,
        bought: 1,
        timeInRoomMs: { count: 3, p50: 1100, p99: 1900, max: 1900 },
        ordersBeyondAdmitted: 0,
        breaches: [],
      });
      expect(text.slice(-5)).toEqual([
        'waiting room: 2 admitted/s; 4 entered, 3 admitted, 1 bought; 9 polls; ended in the room: 1 × entry 503',
        'time in the room: p50 1.1 s, p99 1.9 s, max 1.9 s',
        'told sold out: nobody',
        'bought without admission: nobody (POST /orders without a token: 429)',
        'violations: none',
      ]);
    });

    it('given a sale that sold out with buyers waiting, told 0.4 to 6 s after, and one more told as it arrived, when summarized and rendered, then a person reads how many were told and how long after the sell-out', () => {
      // given: sold out at t; three waiting buyers told at t + 0.4 s, t + 2 s, t + 6 s; one arrival answered 409
      const at = Date.UTC(2026, 11, 6, 12, 0, 0);
      const summary = roomSale(
        { admitted: 1, waitsMs: [300], orderWithoutAdmission: 429 },
        { toldSoldOut: 4, toldSoldOutWaitingAtMs: [at + 2000, at + 400, at + 6000], atEpochMs: at },
      );

      // when
      const text = renderSummary(summary).split('\n');

      // then
      expect(summary.room).toMatchObject({
        toldSoldOut: 4,
        toldSoldOutWaiting: 3,
        toldAfterSellOutMs: { count: 3, p50: 2000, p99: 6000, max: 6000 },
      });
      expect(text).toContain(
        'told sold out: 4 (3 of them waiting, told p99 6.0 s, max 6.0 s after the sell-out)',
      );
    });

    it('given an order taken without a token and more orders than admissions, when summarized, then both are breaches', () => {
      // given: nobody admitted, yet the sale has an order, and the order without a token was answered 202
      const summary = roomSale({ admitted: 0, waitsMs: [], orderWithoutAdmission: 202 });

      // then
      expect(summary.room?.breaches).toEqual([
        'POST /orders without an admission token answered 202, not 429',
        '1 orders more than buyers admitted',
      ]);
      expect(renderSummary(summary)).toContain('time in the room: nobody admitted');
    });
  });

  it('given a room, when the progress line is drawn, then it shows who waits and who was admitted', () => {
    const counts = { sent: 40, accepted: 2, soldOut: 0, otherClientError: 0, serverError: 0 };
    expect(
      renderProgress(counts, 3, 100, {
        entered: 40,
        admitted: 2,
        toldSoldOut: 0,
        toldSoldOutWaitingAtMs: [],
      }),
    ).toBe('sent 40/100  room 38 waiting, 2 admitted  202 2  409 0  4xx 0  5xx/none 0  3 req/s');
  });

  it('given buyers told sold out, when the progress line is drawn, then those that were waiting wait no more, and all are counted', () => {
    const counts = { sent: 40, accepted: 2, soldOut: 0, otherClientError: 0, serverError: 0 };
    const room = { entered: 35, admitted: 2, toldSoldOut: 8, toldSoldOutWaitingAtMs: [1, 2, 3] };
    expect(renderProgress(counts, 3, 100, room)).toBe(
      'sent 40/100  room 30 waiting, 2 admitted, 8 told sold out  202 2  409 0  4xx 0  5xx/none 0  3 req/s',
    );
  });
});
