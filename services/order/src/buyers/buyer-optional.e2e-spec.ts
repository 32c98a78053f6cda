import { CapturedLogs } from '@boxoffice/testing/log-lines';
import { putSale } from '@boxoffice/testing/sale-stock';
import { TestIssuer } from '@boxoffice/testing/test-issuer';
import { OrderTestApp, startOrderStack } from '../order.test-app';

const order = (stack: OrderTestApp, body: object, headers: Record<string, string> = {}, path = '/orders') =>
  stack.http().post(path).set(headers).send(body);

describe('Buyers with an identity: a token not required (BUYER_JWT_REQUIRED=false, as npm start runs order)', () => {
  let stack: OrderTestApp;
  let issuer: TestIssuer;
  const logs = new CapturedLogs();

  beforeAll(async () => {
    issuer = await TestIssuer.create('EdDSA');
    stack = await startOrderStack('buyers_optional', {
      order: await issuer.env(false),
      log: { level: 'info', destination: logs.destination },
    });
    await putSale(stack.inventory, 'club', { totalStock: 20, perUserLimit: 4 });
  });
  afterAll(() => stack?.close());

  it('given no token, when ordering, then the body’s userId is the buyer; without one, 400 VALIDATION_FAILED for userId', async () => {
    const { body } = await order(stack, { eventId: 'club', userId: 'jane', quantity: 1 }).expect(202);
    const missing = await order(stack, { eventId: 'club', quantity: 1 }).expect(400);

    expect(body.userId).toBe('jane');
    expect(missing.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'userId', messages: [expect.any(String)] }],
    });
  });

  it('given a token, when ordering, then it is verified: valid it is the buyer, another userId 403, a bad one 401', async () => {
    const valid = await order(stack, { eventId: 'club', quantity: 1 }, await issuer.as('kim')).expect(202);
    const mismatch = await order(
      stack,
      { eventId: 'club', userId: 'lee', quantity: 1 },
      await issuer.as('kim'),
    );
    const expired = await order(
      stack,
      { eventId: 'club', userId: 'kim', quantity: 1 },
      await issuer.as('kim', { expiresIn: -60 }),
    );

    expect(valid.body.userId).toBe('kim');
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'BUYER_MISMATCH']);
    expect([expired.status, expired.body.code, expired.headers['www-authenticate']]).toEqual([
      401,
      'UNAUTHENTICATED',
      'Bearer',
    ]);
  });

  it('given the service booted with BUYER_JWT_REQUIRED=false, then one warn line says the body’s userId is trusted without a token', () => {
    const boot = logs.lines().filter((line) => line.context === 'buyers');

    expect(boot).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('BUYER_JWT_REQUIRED=false') }),
    ]);
  });
});
