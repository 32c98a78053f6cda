/** Which attempt this delivery is: absent on a first delivery, then stamped by the retry path. */
export const ATTEMPT_HEADER = 'x-attempt';
/** On retry copies: why the previous attempt failed, for whoever inspects the retry queue. */
export const LAST_ERROR_HEADER = 'x-last-error';

// Set on every message in a dead-letter queue, so an operator can tell poison from a bug without logs.
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
export const ERROR_HEADER = 'x-error';
export const ORIGINAL_QUEUE_HEADER = 'x-original-queue';
export const DEAD_LETTERED_AT_HEADER = 'x-dead-lettered-at';

export type DeadLetterReason = 'oversized' | 'malformed-json' | 'invalid-payload' | 'attempts-exhausted';

/**
 * Headers the broker writes itself (dead-lettering history, quorum delivery count). They are dropped
 * from the copies we publish: they describe the old message, and brokers differ on client-set x-death.
 */
export function isBrokerHeader(name: string): boolean {
  return (
    name === 'x-death' ||
    name === 'x-delivery-count' ||
    name.startsWith('x-first-death-') ||
    name.startsWith('x-last-death-')
  );
}
