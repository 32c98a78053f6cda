import Redis from 'ioredis';
import { deleteKeys, TEST_REDIS_URL } from '@boxoffice/testing/test-namespace';
import { saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import { LedgerSnapshot, StockGate } from './stock-gate';

// The Lua scripts against a real Redis, without Postgres: their semantics alone.
describe('StockGate (Lua scripts on Redis)', () => {
  const prefix = `t_gate_${process.pid}_${Date.now()}`;
  const redis = new Redis(TEST_REDIS_URL);
  const gate = new StockGate(redis, prefix);
  const ttlMs = 60_000;
  let eventId: string;
  let seq = 0;

  const sale = (overrides: Partial<LedgerSnapshot> = {}): LedgerSnapshot => ({
    totalStock: 5,
    perUserLimit: 0,
    unitPrice: 1000,
    currency: 'EUR',
    reservations: [],
    ...overrides,
  });

  beforeEach(() => {
    eventId = `ev${++seq}`;
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteKeys(`${prefix}:*`);
  });

  it('given no loaded sale, when any script runs, then it answers NOT_LOADED and writes nothing', async () => {
    expect((await gate.reserve(eventId, 'o1', 'u1', 1, ttlMs)).kind).toBe('NOT_LOADED');
    expect(await gate.commit(eventId, 'o1')).toBe('NOT_LOADED');
    expect(await gate.release(eventId, 'o1')).toBe('NOT_LOADED');
    expect(await redis.keys(`${prefix}:{${eventId}}*`)).toEqual([]);
  });

  it('given a sale of 5, when holds are taken, then stock moves from available to held until sold out', async () => {
    await gate.load(eventId, sale());
    expect((await gate.reserve(eventId, 'o1', 'u1', 3, ttlMs)).kind).toBe('HELD');
    expect((await gate.reserve(eventId, 'o2', 'u2', 3, ttlMs)).kind).toBe('SOLD_OUT');
    expect((await gate.reserve(eventId, 'o3', 'u2', 2, ttlMs)).kind).toBe('HELD');
    expect(await gate.counts(eventId)).toMatchObject({ totalStock: 5, available: 0, held: 5, sold: 0 });
  });

  it('given a hold, when the same order reserves again, then it gets the same hold and no more stock', async () => {
    await gate.load(eventId, sale());
    const first = await gate.reserve(eventId, 'o1', 'u1', 2, ttlMs);
    const again = await gate.reserve(eventId, 'o1', 'u1', 2, ttlMs + 5000);
    expect(again).toEqual({ kind: 'EXISTS', hold: (first as { hold: unknown }).hold });
    expect(await gate.counts(eventId)).toMatchObject({ available: 3, held: 2 });
  });

  it('given a TTL, when a hold is taken, then it expires on Redis clock, not the caller', async () => {
    await gate.load(eventId, sale());
    const before = await gate.now();
    const outcome = await gate.reserve(eventId, 'o1', 'u1', 1, ttlMs);
    const after = await gate.now();

    const { expiresAtMs } = (outcome as { hold: { expiresAtMs: number } }).hold;
    expect(expiresAtMs).toBeGreaterThanOrEqual(before + ttlMs);
    expect(expiresAtMs).toBeLessThanOrEqual(after + ttlMs);
  });

  it('given a per-user limit of 2, when one user asks for a third ticket, then it is refused, also across orders', async () => {
    await gate.load(eventId, sale({ perUserLimit: 2 }));
    expect((await gate.reserve(eventId, 'o1', 'u1', 3, ttlMs)).kind).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect((await gate.reserve(eventId, 'o2', 'u1', 1, ttlMs)).kind).toBe('HELD');
    expect((await gate.reserve(eventId, 'o3', 'u1', 1, ttlMs)).kind).toBe('HELD');
    expect((await gate.reserve(eventId, 'o4', 'u1', 1, ttlMs)).kind).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect(await gate.release(eventId, 'o2')).toBe('RELEASED');
    expect((await gate.reserve(eventId, 'o5', 'u1', 1, ttlMs)).kind).toBe('HELD');
  });

  it('given a hold, when it is committed twice, then it is sold once', async () => {
    await gate.load(eventId, sale());
    await gate.reserve(eventId, 'o1', 'u1', 2, ttlMs);
    expect(await gate.commit(eventId, 'o1')).toBe('COMMITTED');
    expect(await gate.commit(eventId, 'o1')).toBe('COMMITTED');
    expect(await gate.counts(eventId)).toMatchObject({ available: 3, held: 0, sold: 2 });
  });

  it('given a hold, when it is released twice, then the stock returns once', async () => {
    await gate.load(eventId, sale());
    await gate.reserve(eventId, 'o1', 'u1', 2, ttlMs);
    expect(await gate.release(eventId, 'o1')).toBe('RELEASED');
    expect(await gate.release(eventId, 'o1')).toBe('RELEASED');
    expect(await gate.counts(eventId)).toMatchObject({ available: 5, held: 0, sold: 0 });
  });

  it('given out-of-order calls, when commit and release cross, then the first decision stands', async () => {
    await gate.load(eventId, sale());
    expect(await gate.commit(eventId, 'never-held')).toBe('NOT_FOUND');
    expect(await gate.release(eventId, 'never-held')).toBe('NOT_FOUND');
    // ...and the release bars that order id: a reserve arriving after it holds nothing.
    expect(await gate.reserve(eventId, 'never-held', 'u9', 1, ttlMs)).toMatchObject({
      kind: 'EXISTS',
      hold: { status: 'RELEASED', quantity: 0 },
    });
    await gate.reserve(eventId, 'sold', 'u1', 1, ttlMs);
    await gate.reserve(eventId, 'returned', 'u2', 1, ttlMs);
    expect(await gate.commit(eventId, 'sold')).toBe('COMMITTED');
    expect(await gate.release(eventId, 'sold')).toBe('COMMITTED');
    expect(await gate.release(eventId, 'returned')).toBe('RELEASED');
    expect(await gate.commit(eventId, 'returned')).toBe('RELEASED');
    const again = await gate.reserve(eventId, 'returned', 'u2', 1, ttlMs);
    expect(again).toMatchObject({ kind: 'EXISTS', hold: { status: 'RELEASED' } });
    expect(await gate.counts(eventId)).toMatchObject({ available: 4, held: 0, sold: 1 });
  });

  it('given a ledger snapshot, when loaded, then counts, user totals and expiries follow it, and a second load is a no-op', async () => {
    const ledger = sale({
      totalStock: 10,
      perUserLimit: 3,
      reservations: [
        { orderId: 'a', status: 'HELD', userId: 'u1', quantity: 2, expiresAtMs: 1000 },
        { orderId: 'b', status: 'COMMITTED', userId: 'u1', quantity: 1, expiresAtMs: 2000 },
        { orderId: 'c', status: 'RELEASED', userId: 'u2', quantity: 4, expiresAtMs: 3000 },
      ],
    });
    expect(await gate.load(eventId, ledger)).toBe(true);
    expect(await gate.load(eventId, sale({ totalStock: 99 }))).toBe(false);
    expect(await gate.counts(eventId)).toMatchObject({ totalStock: 10, available: 7, held: 2, sold: 1 });
    expect((await gate.reserve(eventId, 'd', 'u1', 1, ttlMs)).kind).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect(await gate.expiredHolds([eventId, 'no-such-sale'], 1500, 10)).toEqual(new Map([[eventId, ['a']]]));
  });

  it('given Redis forgot its scripts, when a script runs, then it is loaded again by the gate', async () => {
    await gate.load(eventId, sale());
    await redis.script('FLUSH');
    expect((await gate.reserve(eventId, 'o1', 'u1', 1, ttlMs)).kind).toBe('HELD');
  });

  it('keeps every key of one sale in one cluster slot', () => {
    const keys = Object.values(saleKeys(prefix, 'concert-42'));
    expect(new Set(keys.map((key) => key.match(/\{(.*?)\}/)?.[1]))).toEqual(new Set(['concert-42']));
  });

  it('given a sale of 5 with a limit of 2, when many orders are held in one call, then each is judged in order as it alone would be', async () => {
    await gate.load(eventId, sale({ perUserLimit: 2 }));
    await gate.reserve(eventId, 'o0', 'u0', 1, ttlMs);

    const outcomes = await gate.reserveMany(
      eventId,
      [
        { orderId: 'o1', userId: 'u1', quantity: 2 },
        { orderId: 'o2', userId: 'u1', quantity: 1 },
        { orderId: 'o0', userId: 'u0', quantity: 1 },
        { orderId: 'o3', userId: 'u3', quantity: 2 },
        { orderId: 'o4', userId: 'u4', quantity: 1 },
      ],
      ttlMs,
    );

    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'HELD',
      'PURCHASE_LIMIT_EXCEEDED',
      'EXISTS',
      'HELD',
      'SOLD_OUT',
    ]);
    expect(await gate.counts(eventId)).toMatchObject({ available: 0, held: 5 });
    expect(await gate.settleMany('commit', eventId, ['o1', 'o4', 'o3'])).toEqual([
      'COMMITTED',
      'NOT_FOUND',
      'COMMITTED',
    ]);
    expect(await gate.settleMany('release', eventId, ['o1', 'o0', 'o5'])).toEqual([
      'COMMITTED',
      'RELEASED',
      'NOT_FOUND',
    ]);
    expect(await gate.counts(eventId)).toMatchObject({ available: 1, held: 0, sold: 4 });
    expect((await gate.holds(eventId, ['o5', 'o9']))[0]?.status).toBe('RELEASED'); // barred by its release
  });
});
