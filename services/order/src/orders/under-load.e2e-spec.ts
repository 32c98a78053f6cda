import { InventoryClient } from '../inventory-client/inventory.client';
import { eventually } from '@boxoffice/testing/eventually';
import { putSale, saleCounts } from '@boxoffice/testing/sale-stock';
import { timedSpy } from '@boxoffice/testing/timed-spy';
import { orderRows, OrderTestApp, startOrderStack } from '../order.test-app';

const DEADLINE_MS = 1000;
/** What a loaded test machine may add to the deadline before the answer is out: no timing is asserted beyond it. */
const MARGIN_MS = 1000;
const MAX_IN_FLIGHT = 3;

describe('POST /orders under load (e2e: real inventory behind a proxy, Postgres, RabbitMQ)', () => {
  let stack: OrderTestApp;
  const order = (body: object, idempotencyKey?: string) => {
    const call = stack.http().post('/orders');
    return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send(body);
  };
  const keyRows = (key: string) => stack.db.query('SELECT key FROM idempotency_keys WHERE key = $1', [key]);

  beforeAll(async () => {
    stack = await startOrderStack('order_load', {
      proxyInventory: true,
      order: {
        ORDER_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
        ORDER_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
        // One connection, so that a second call waits in the pool's queue; no per-call timeout before the deadline.
        INVENTORY_CONNECTIONS: '1',
        INVENTORY_TIMEOUT_MS: '30000',
      },
    });
  });
  afterAll(() => stack?.close());
  afterEach(() => {
    stack.inventoryProxy!.setLatency(0);
    jest.restoreAllMocks();
  });

  it('given inventory slower than the deadline, when two buyers order at once (one on the only connection, one queued for it), then both get 503 with Retry-After by the deadline, and no order, hold or key is left', async () => {
    await putSale(stack.inventory, 'slow', { totalStock: 4 });
    stack.inventoryProxy!.setLatency(1500); // each way: a reserve takes 3 s
    const releases = timedSpy(stack.app.get(InventoryClient), 'release');

    const started = performance.now();
    const answers = await Promise.all([
      order({ eventId: 'slow', userId: 'slow-1', quantity: 1 }).then((response) => ({
        response,
        ms: performance.now() - started,
      })),
      order({ eventId: 'slow', userId: 'slow-2', quantity: 1 }, 'slow-2').then((response) => ({
        response,
        ms: performance.now() - started,
      })),
    ]);

    for (const { response, ms } of answers) {
      expect({ status: response.status, code: response.body.code }).toEqual({
        status: 503,
        code: 'UNAVAILABLE',
      });
      expect(response.headers['retry-after']).toBe('1');
      expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    }
    // The holds given back after the answer, through the slow link too: a reserve that got through (sent first) is
    // released, and an order id not held yet is barred (404), so that its reserve holds nothing when it comes.
    await eventually(() => releases.runs.length === 2, { what: 'both holds given back', timeoutMs: 20_000 });
    stack.inventoryProxy!.setLatency(0);
    expect(await saleCounts(stack.inventory, 'slow')).toMatchObject({ available: 4, held: 0, sold: 0 });
    expect(await orderRows(stack, { eventId: 'slow' })).toEqual([]);
    await eventually(async () => (await keyRows('slow-2')).length === 0, { what: 'the key freed' });
    await order({ eventId: 'slow', userId: 'slow-2', quantity: 1 }, 'slow-2').expect(202);
  });

  it('given ORDER_MAX_IN_FLIGHT orders in flight, when one more comes, then 503 OVERLOADED with Retry-After at once, without a word to inventory or Postgres; once they are answered, orders are taken again', async () => {
    await putSale(stack.inventory, 'busy', { totalStock: 10 });
    const client = stack.app.get(InventoryClient);
    const reserve = client.reserve.bind(client);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const reserving = jest.spyOn(client, 'reserve').mockImplementation(async (...args) => {
      // Inventory keeps the first ones waiting; one more getting here would not be kept waiting (nor shed).
      if (reserving.mock.calls.length <= MAX_IN_FLIGHT) await gate;
      return reserve(...args);
    });
    try {
      const inFlight = Array.from({ length: MAX_IN_FLIGHT }, (_, i) =>
        order({ eventId: 'busy', userId: `busy-${i}`, quantity: 1 }).then((response) => response),
      );
      await eventually(() => reserving.mock.calls.length === MAX_IN_FLIGHT, {
        what: 'all of them at inventory',
      });

      const shed = await order({ eventId: 'busy', userId: 'busy-shed', quantity: 1 }, 'busy-shed');

      expect({ status: shed.status, body: shed.body }).toEqual({
        status: 503,
        body: { code: 'OVERLOADED', message: expect.any(String) },
      });
      expect(shed.headers['retry-after']).toBe('1');
      expect(reserving).toHaveBeenCalledTimes(MAX_IN_FLIGHT); // inventory never asked
      expect(await keyRows('busy-shed')).toEqual([]); // nor Postgres: its key was not even claimed
      open();
      for (const response of await Promise.all(inFlight)) expect(response.body.code).not.toBe('OVERLOADED');
      await order({ eventId: 'busy', userId: 'busy-shed', quantity: 1 }, 'busy-shed').expect(202);
    } finally {
      open();
      reserving.mockRestore();
    }
  });
});
