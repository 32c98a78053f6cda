import { eventually } from '@boxoffice/testing/eventually';
import { CapturedLogs, isAtLeast, logLinesIn, type LogLine } from '@boxoffice/testing/log-lines';
import { putSale } from '@boxoffice/testing/sale-stock';
import { startOrderStack, type OrderTestApp } from '../order.test-app';

const STORM = 50;

describe('A sold-out storm at LOG_LEVEL=info (e2e: order in-process, real inventory)', () => {
  let stack: OrderTestApp;
  const orderLogs = new CapturedLogs();
  const inventoryLogs = () => logLinesIn(stack.inventory.output());

  beforeAll(async () => {
    stack = await startOrderStack('soldoutlogs', {
      inventory: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      log: { level: 'info', destination: orderLogs.destination },
    });
    await putSale(stack.inventory, 'tiny-gig', { totalStock: 1 });
    await stack
      .http()
      .post('/orders')
      .send({ eventId: 'tiny-gig', userId: 'first', quantity: 1 })
      .expect(202);
  });
  afterAll(() => stack?.close());

  it('given a sold-out sale, when a storm of buyers is answered 409, then neither order nor inventory writes a line per request', async () => {
    const orderBefore = orderLogs.lines().length;
    const inventoryBefore = inventoryLogs().length;
    const ids = Array.from({ length: STORM }, (_, i) => `storm-${i}`);

    const answers = await Promise.all(
      ids.map((id, i) =>
        stack
          .http()
          .post('/orders')
          .set('X-Request-Id', id)
          .send({ eventId: 'tiny-gig', userId: `buyer-${i}`, quantity: 1 }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 409));
    // Inventory's output arrives through a pipe: once a line written after the storm is in, all of the storm's are.
    await putSale(stack.inventory, 'after-the-storm', { totalStock: 1 });
    await eventually(() => inventoryLogs().some((line) => line.msg.includes('after-the-storm')), {
      what: 'the line inventory writes after the storm',
    });

    const written = (lines: LogLine[]) => lines.filter((line) => isAtLeast(line, 'info'));
    const orderLines = written(orderLogs.lines().slice(orderBefore));
    const inventoryLines = written(inventoryLogs().slice(inventoryBefore));
    const ofTheStorm = (line: LogLine) => ids.includes(line.requestId ?? '');
    expect(orderLines.filter(ofTheStorm)).toEqual([]);
    expect(inventoryLines.filter(ofTheStorm)).toEqual([]);
    expect(orderLines.length).toBeLessThan(STORM);
    expect(inventoryLines.length).toBeLessThan(STORM);
  });
});
