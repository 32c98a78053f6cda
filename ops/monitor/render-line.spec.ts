import { AFTER, BEFORE } from './example-snapshots';
import { renderLine } from './render-line';
import { roomRates } from './room-rates';
import { saleRates } from './sale-rates';

describe('renderLine (not on a terminal, --plain)', () => {
  it('given two snapshots, when the second is rendered, then one line holds every figure with its rate', () => {
    const line = renderLine(AFTER, saleRates(BEFORE, AFTER), roomRates(BEFORE, AFTER));

    expect(line).not.toContain('\n');
    expect(line).toMatch(/^2026-12-01T02:03:06Z \| /);
    expect(line).toContain('services inventory ready, order ready, payment not ready (rabbitmq)');
    expect(line).toContain(
      'sale final avail/held/sold 40/12/48 of 100, accepted 69 (12.0/s), confirmed 48 (9.0/s), ' +
        'cancelled 9 (2.0/s): PAYMENT_DECLINED 7 (1.0/s), HOLD_EXPIRED 2 (1.0/s), open 12',
    );
    expect(line).toContain(
      'queues ready 7, unacked 53, retrying 3, dead 4 (order.payment_result unacked 3, ' +
        'order.payment_result dead 4, payment.order_created ready 7, payment.order_created unacked 50, ' +
        'payment.order_created retrying 3)',
    );
    expect(line).toContain(
      '| room final queued 1204, admitted 48.0/s (set 50/s), longest wait 25s, stock on sale | room matinee ' +
        'queued 310, admitted - (set 20/s), longest wait 16s, stock sold out | room encore closed: its queue ' +
        'is gone from Redis (PUT the room again to reopen) | queues ',
    );
    expect(line).toContain('outbox order 12 unsent (oldest 1s), payment 0 unsent');
    expect(line).toContain('oldest CREATED 1m15s (o-17, sale final; 12 CREATED in all)');
    expect(line).not.toContain('problems');
  });

  it('given a single snapshot (--once), when rendered, then the counts are there and the rates are unknown', () => {
    const line = renderLine(AFTER, saleRates(undefined, AFTER), roomRates(undefined, AFTER));

    expect(line).toContain('accepted 69 (-), confirmed 48 (-)');
    expect(line).toContain('room final queued 1204, admitted - (set 50/s)');
  });

  it('given parts that could not be read, when rendered, then they say unknown and the problems are named', () => {
    const line = renderLine(
      {
        ...AFTER,
        sales: [],
        rooms: undefined,
        queues: undefined,
        outbox: {},
        oldestCreated: undefined,
        problems: ['postgres: connect ECONNREFUSED 127.0.0.1:5432'],
      },
      new Map(),
    );

    expect(line).toContain(
      '| no active sale | waiting rooms unknown | queues unknown | outbox order unknown, payment unknown | oldest CREATED unknown | ' +
        'problems: postgres: connect ECONNREFUSED 127.0.0.1:5432',
    );
  });
});
