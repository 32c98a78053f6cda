import * as crypto from 'node:crypto';
import { matchesDigest, tokenDigest } from './token-digest';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof crypto>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

describe('matchesDigest (constant-time token comparison)', () => {
  const expected = tokenDigest('the-admin-token-of-this-sale');
  const timingSafeEqual = jest.mocked(crypto.timingSafeEqual);

  beforeEach(() => timingSafeEqual.mockClear());

  it('given the same token, when compared, then it matches', () => {
    expect(matchesDigest('the-admin-token-of-this-sale', expected)).toBe(true);
  });

  it.each([
    ['a wrong token of the same length', 'the-admin-token-of-this-salE'],
    ['a prefix of it', 'the-admin'],
    ['a longer one', 'the-admin-token-of-this-sale-and-more'],
    ['an empty one', ''],
  ])('given %s, when compared, then it does not match', (_, presented) => {
    expect(matchesDigest(presented, expected)).toBe(false);
  });

  it.each([
    ['an empty token', ''],
    ['a short one', 'short'],
    ['one of 10,000 characters', 'x'.repeat(10_000)],
  ])('given %s, when compared, then timingSafeEqual compares two 32-byte digests', (_, presented) => {
    matchesDigest(presented, expected);

    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
    expect([a.length, b.length]).toEqual([32, 32]);
  });
});
