import type { ConfirmChannel, Options } from 'amqplib';
import { describeFailure } from './describe-failure';
import { MessageRefused } from './publish-result';

/** How amqplib 2.x reports a basic.nack to the callback (a closed channel is `channel closed`). */
const NACKED = 'message nacked';

export interface OutboundMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
}

/**
 * Publishes on a confirm channel and settles when the broker has taken responsibility for the
 * message (ack), refused it (nack: a MessageRefused), the channel died first, or `timeoutMs` passed.
 * A late confirm after the timeout is ignored: the caller already counts that message as not sent and
 * sends it again, which is safe because its messageId stays the same.
 */
export function publishWithConfirm(
  channel: ConfirmChannel,
  message: OutboundMessage,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => settle(new Error(`no publisher confirm within ${timeoutMs} ms for ${message.routingKey}`)),
      Math.max(0, timeoutMs),
    );
    try {
      channel.publish(
        message.exchange,
        message.routingKey,
        message.content,
        message.properties,
        (error: unknown) => settle(error ? confirmFailure(error) : undefined),
      );
    } catch (error) {
      // amqplib throws at once when the channel is already closed, or when it cannot encode the message.
      const closed = error instanceof Error && error.name === 'IllegalOperationError';
      const Failure = closed ? Error : MessageRefused;
      settle(new Failure(`cannot publish: ${describeFailure(error)}`));
    }
  });
}

function confirmFailure(error: unknown): Error {
  const text = `broker did not accept the message: ${describeFailure(error)}`;
  return error instanceof Error && error.message === NACKED ? new MessageRefused(text) : new Error(text);
}
