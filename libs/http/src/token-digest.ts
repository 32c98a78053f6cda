import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are compared as SHA-256 digests: timingSafeEqual needs two buffers of one length, and digests have it
 * whatever was presented, so the time taken tells neither how much of a token matched nor how long it is.
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function matchesDigest(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(tokenDigest(presented), expected);
}
