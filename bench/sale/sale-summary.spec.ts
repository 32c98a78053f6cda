import { renderProgress, renderSummary, summarize } from './sale-summary';
import { parseSaleOptions, type SaleOptions } from './sale-options';

const options = (
  parseSaleOptions(['--stock', '20', '--buyers', '4', '--event', 'gig'], () => 'x') as {
    options: SaleOptions;
  }
).options;

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
});
