import { planOf } from '@boxoffice/testing/query-plan';
import { BACKLOG_COUNT } from '../saga/saga-backlog';
import { ORDER_MIGRATIONS } from './order-migrations';

describe("Order's saga backlog count (real Postgres)", () => {
  it('given the orders migrations, when the count of orders older than the age is planned, then it range-scans orders_open by created_at, not the table', async () => {
    // given / when
    const plan = await planOf('order_backlog_plan', ORDER_MIGRATIONS, BACKLOG_COUNT, [500, 5]);

    // then: every 250 ms, it reads only the CREATED orders past the age, however many ended or young ones there are
    expect(plan).toMatch(/Index Scan (using|on) orders_open/);
    expect(plan).toMatch(/Index Cond: \(created_at <=/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
