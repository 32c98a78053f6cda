import { planOfOutboxRetention } from '@boxoffice/testing/outbox-retention-plan';
import { CreatePayments1764072200000 } from './1764072200000-create-payments';
import { OutboxParking1765152100000 } from './1765152100000-outbox-parking';
import { OutboxTraceContext1765238500000 } from './1765238500000-outbox-trace-context';
import { OutboxSentIndex1765411300000 } from './1765411300000-outbox-sent-index';

describe("Payment's outbox retention (real Postgres)", () => {
  it('given the outbox migrations, when the retention DELETE is planned, then it reads the outbox_sent index, not the table', async () => {
    // given / when
    const plan = await planOfOutboxRetention('payment_retention', [
      CreatePayments1764072200000,
      OutboxParking1765152100000,
      OutboxTraceContext1765238500000,
      OutboxSentIndex1765411300000,
    ]);

    // then
    expect(plan).toMatch(/Index Scan (using|on) outbox_sent/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
