import { planOf } from '@boxoffice/testing/query-plan';
import { PACE_READ } from '../waiting-room/saga-pace';
import { ORDER_MIGRATIONS } from './order-migrations';

describe("The saga's pace, read by the auto waiting rooms (real Postgres)", () => {
  it('given the orders migrations, when the pace is planned, then the ended orders range-scan orders_ended and the open ones orders_open, never the table', async () => {
    // given / when
    const plan = await planOf('order_pace_plan', ORDER_MIGRATIONS, PACE_READ, [5, 20]);

    // then: every second, it reads the orders ended in the window and the open ones, however many ended before
    expect(plan).toMatch(/Index (Only )?Scan (using|on) orders_ended/);
    expect(plan).toMatch(/Index Cond: \(COALESCE\(cancelled_at, updated_at\) >/);
    expect(plan).toMatch(/orders_open/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
