import { connect, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import {
  ATTEMPT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTERED_AT_HEADER,
  ERROR_HEADER,
  isBrokerHeader,
  ORIGINAL_QUEUE_HEADER,
} from '@boxoffice/messaging/message-headers';

/** A parked message as an operator reads it. */
export interface DeadLetter {
  messageId: string;
  correlationId: string;
  /** The consumer queue it was parked from, where a replay sends it back. */
  originalQueue: string;
  reason: string;
  error: string;
  attempt: number | null;
  deadLetteredAt: string;
  body: string;
}

/** What `npm run dlq` does to a `.dlq`: read without taking, send back to its queue, purge. */
export class DeadLetters {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<DeadLetters> {
    const connection = await connect(url, { clientProperties: { connection_name: 'boxoffice-dlq' } });
    return new DeadLetters(connection, await connection.createConfirmChannel());
  }

  /** Up to `limit` messages of the DLQ, left in it (taken unacked, then handed back). */
  async list(dlq: string, limit: number): Promise<DeadLetter[]> {
    const taken = await this.take(dlq, limit);
    this.channel.nackAll(true);
    return taken.map(readDeadLetter);
  }

  /**
   * Sends the chosen messages (all when `messageIds` is null) back to the queue each was parked from, as a first
   * attempt with the same message id, and removes them from the DLQ once the broker confirmed the copy. Straight to
   * the queue, not through the topic exchange, which would hand them to every other queue bound to the key too.
   */
  async replay(dlq: string, messageIds: string[] | null, limit: number): Promise<DeadLetter[]> {
    const taken = await this.take(dlq, limit);
    const chosen = taken.filter(
      (message) => !messageIds || messageIds.includes(readDeadLetter(message).messageId),
    );
    for (const message of chosen) {
      const letter = readDeadLetter(message);
      if (!letter.originalQueue)
        throw new Error(`${letter.messageId}: no ${ORIGINAL_QUEUE_HEADER}, cannot replay`);
      this.channel.sendToQueue(letter.originalQueue, message.content, {
        ...message.properties,
        headers: withoutParkingHeaders(message.properties.headers ?? {}),
        persistent: true,
      });
    }
    await this.channel.waitForConfirms();
    for (const message of chosen) this.channel.ack(message);
    this.channel.nackAll(true); // the ones not chosen stay parked
    return chosen.map(readDeadLetter);
  }

  /** The messages the DLQ holds, as the broker counts them now (the management API's figure lags). */
  async count(dlq: string): Promise<number> {
    return (await this.channel.checkQueue(dlq)).messageCount;
  }

  /** Removes every message of the DLQ; returns how many there were. */
  async purge(dlq: string): Promise<number> {
    return (await this.channel.purgeQueue(dlq)).messageCount;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async take(dlq: string, limit: number): Promise<GetMessage[]> {
    await this.channel.checkQueue(dlq); // a queue that does not exist is an error, not an empty list
    const taken: GetMessage[] = [];
    while (taken.length < limit) {
      const message = await this.channel.get(dlq, { noAck: false });
      if (!message) break;
      taken.push(message);
    }
    return taken;
  }
}

function readDeadLetter(message: GetMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const death = (headers['x-death'] as Array<{ queue?: string; reason?: string }> | undefined)?.[0];
  return {
    messageId: String(message.properties.messageId ?? ''),
    correlationId: String(message.properties.correlationId ?? ''),
    originalQueue: String(headers[ORIGINAL_QUEUE_HEADER] ?? death?.queue ?? ''),
    reason: String(headers[DEAD_LETTER_REASON_HEADER] ?? death?.reason ?? 'none'),
    error: String(headers[ERROR_HEADER] ?? ''),
    attempt: typeof headers[ATTEMPT_HEADER] === 'number' ? (headers[ATTEMPT_HEADER] as number) : null,
    deadLetteredAt: String(headers[DEAD_LETTERED_AT_HEADER] ?? ''),
    body: message.content.toString('utf8'),
  };
}

/** A replayed message is a first attempt again: the parking and retry stamps go, the broker's own history too. */
function withoutParkingHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const parking = new Set([
    ATTEMPT_HEADER,
    DEAD_LETTER_REASON_HEADER,
    DEAD_LETTERED_AT_HEADER,
    ERROR_HEADER,
    ORIGINAL_QUEUE_HEADER,
  ]);
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !parking.has(name) && !isBrokerHeader(name)),
  );
}
