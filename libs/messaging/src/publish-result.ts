import { describeFailure } from './describe-failure';

/**
 * How one message of a batch ended:
 * - `confirmed`: the broker has it.
 * - `refused`: this very message was refused, by the broker (a nack) or before it was sent (it cannot be encoded,
 *   or it is over the broker's size limit): sending it again most likely fails alike.
 * - `unroutable`: no queue is bound for its routing key, yet: it goes through once a consumer declares one.
 * - `unconfirmed`: nothing is known about the message (no channel, the channel lost, no confirm in time): the
 *   broker, not the message, is the trouble.
 */
export type PublishResult =
  | { messageId: string; status: 'confirmed' }
  | { messageId: string; status: 'refused' | 'unroutable' | 'unconfirmed'; error: string };

/** The broker or the client said no to this very message. */
export class MessageRefused extends Error {}

/** The broker returned a mandatory message: no queue is bound for its routing key. */
export class MessageUnroutable extends Error {}

export function failedResult(messageId: string, error: unknown): PublishResult {
  const status =
    error instanceof MessageRefused
      ? 'refused'
      : error instanceof MessageUnroutable
        ? 'unroutable'
        : 'unconfirmed';
  return { messageId, status, error: describeFailure(error) };
}
