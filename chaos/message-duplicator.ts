import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { BOXOFFICE_EXCHANGE } from '@boxoffice/messaging/topology';

const COPY_HEADER = 'x-chaos-copy';

/**
 * Publishes every message that passes through `boxoffice.events` a second time, after a random delay: each consumer
 * gets it twice, and the copy often arrives after a later message of the same order (out of order).
 */
export class MessageDuplicator {
  copies = 0;
  private readonly pending = new Set<Promise<void>>();
  private consumerTag = '';

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly maxDelayMs: number,
  ) {}

  static async start(url: string, maxDelayMs: number): Promise<MessageDuplicator> {
    const connection = await connect(url);
    const channel = await connection.createConfirmChannel();
    const duplicator = new MessageDuplicator(connection, channel, maxDelayMs);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, BOXOFFICE_EXCHANGE, '#');
    const consumer = await channel.consume(queue, (message) => message && duplicator.copy(message), {
      noAck: true,
    });
    duplicator.consumerTag = consumer.consumerTag;
    return duplicator;
  }

  /** Stops copying, publishes the copies still waiting, and disconnects. */
  async stop(): Promise<void> {
    await this.channel.cancel(this.consumerTag);
    await Promise.all(this.pending);
    await this.connection.close();
  }

  private copy(message: ConsumeMessage): void {
    const headers = message.properties.headers ?? {};
    if (headers[COPY_HEADER]) return; // a copy of ours: copying it again would never end
    const sent = new Promise<void>((resolve) => setTimeout(resolve, Math.random() * this.maxDelayMs))
      .then(async () => {
        this.channel.publish(BOXOFFICE_EXCHANGE, message.fields.routingKey, message.content, {
          ...message.properties,
          headers: { ...headers, [COPY_HEADER]: true },
          persistent: true,
        });
        await this.channel.waitForConfirms();
        this.copies++;
      })
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }
}
