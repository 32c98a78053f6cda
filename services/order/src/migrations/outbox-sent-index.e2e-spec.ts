import { planOfOutboxRetention } from '@boxoffice/testing/outbox-retention-plan';
import { CreateOrders1764072100000 } from './1764072100000-create-orders';
import { OutboxParking1765152000000 } from './1765152000000-outbox-parking';
import { OutboxTraceContext1765238400000 } from './1765238400000-outbox-trace-context';
import { OutboxSentIndex1765411250000 } from './1765411250000-outbox-sent-index';

describe("Order's outbox retention (real Postgres)", () => {
  it('given the outbox migrations, when the retention DELETE is planned, then it reads the outbox_sent index, not the table', async () => {
    // given / when
    const plan = await planOfOutboxRetention('order_retention', [
      CreateOrders1764072100000,
      OutboxParking1765152000000,
      OutboxTraceContext1765238400000,
      OutboxSentIndex1765411250000,
    ]);

    // then
    expect(plan).toMatch(/Index Scan (using|on) outbox_sent/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
