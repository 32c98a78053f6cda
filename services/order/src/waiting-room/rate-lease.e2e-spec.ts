import type Redis from 'ioredis';
import { openRedis } from '@boxoffice/redis/open-redis';
import { eventually } from '@boxoffice/testing/eventually';
import { TEST_REDIS_URL, testNamespace, type TestNamespace } from '@boxoffice/testing/test-namespace';
import { rateLeaseKey } from '@boxoffice/contracts/order/room-keys';
import { RateLease } from './rate-lease';

/** The auto rooms' lease against a real Redis, from two clients as two order instances would hold it. */
describe('RateLease (e2e: real Redis)', () => {
  let namespace: TestNamespace;
  let clients: Redis[];

  beforeAll(() => {
    namespace = testNamespace('rate_lease');
    clients = [openRedis(TEST_REDIS_URL), openRedis(TEST_REDIS_URL)];
  });
  afterAll(async () => {
    for (const redis of clients ?? []) redis.disconnect();
    await namespace?.dispose();
  });

  it('given two instances, when both ask for the lease, then one holds it and renews it; once it stops renewing, the other takes it over within the lease', async () => {
    const key = rateLeaseKey(namespace.redisPrefix);
    const [first, second] = clients.map((redis) => new RateLease(redis, key, 300));

    const taken = [await first.hold(), await second.hold()];
    const renewed = [await first.hold(), await second.hold()];

    expect(taken).toEqual([true, false]);
    expect(renewed).toEqual([true, false]);
    // when the first stops renewing (its instance gone)
    await eventually(() => second.hold(), { what: 'the lease taken over', timeoutMs: 2000 });
    expect(await first.hold()).toBe(false);
  });
});
