import { DomainError } from '@boxoffice/errors/domain-error';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { OrderTestApp, startOrderStack } from '../order.test-app';
import { BatchAnswer, InventoryClient } from './inventory.client';

/** The client's batch calls against the real inventory (not used by the saga yet). */
describe("Order's inventory client, batch calls (e2e: real inventory, Postgres, Redis)", () => {
  let stack: OrderTestApp;
  let client: InventoryClient;
  const outcome = (answer: BatchAnswer) => (answer instanceof DomainError ? answer.code : answer.status);

  beforeAll(async () => {
    stack = await startOrderStack('inventory_batch');
    client = stack.app.get(InventoryClient);
    await putSale(stack.inventory, 'gig', { totalStock: 2 });
  });
  afterAll(() => stack?.close());

  it('given 2 tickets, when 3 orders are reserved in one call, then two are held and the third is SOLD_OUT, each in its place', async () => {
    const answers = await client.reserveMany(
      ['b1', 'b2', 'b3'].map((orderId) => ({ orderId, eventId: 'gig', userId: orderId, quantity: 1 })),
    );

    expect(answers.map(outcome)).toEqual(['HELD', 'HELD', 'SOLD_OUT']);
    expect(answers[2]).toBeInstanceOf(DomainError);
  });

  it('given two holds, when one is committed and the other released in batches, then each answers its decision and unknown ones their refusal', async () => {
    const committed = await client.commitMany(['b1', 'nobody']);
    const released = await client.releaseMany([
      { orderId: 'b2', eventId: 'gig' },
      { orderId: 'b1', eventId: 'gig' },
    ]);

    expect(committed.map(outcome)).toEqual(['COMMITTED', 'RESERVATION_NOT_FOUND']);
    expect(released.map(outcome)).toEqual(['RELEASED', 'RESERVATION_COMMITTED']);
    expect(await saleCounts(stack.inventory, 'gig')).toMatchObject({ sold: 1, held: 0, available: 1 });
  });

  it('given a batch inventory refuses whole (empty), when it is sent, then the call throws its refusal', async () => {
    await expect(client.commitMany([])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
