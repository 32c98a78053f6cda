import { randomUUID } from 'node:crypto';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
  type Message,
  type Options,
} from 'amqplib';
import { BOXOFFICE_EXCHANGE, declareExchange } from '@boxoffice/messaging/topology';
import { eventually } from './eventually';

/** A message taken out of a queue, with its body parsed (`{ unparsed }` when it is not JSON). */
export type TakenMessage = GetMessage & { payload: Record<string, unknown> };

export interface TestPublishOptions {
  /** Default: a new UUID. Returned by publish, so that a test can send the very same message again. */
  messageId?: string;
  /** Default: the payload's orderId (docs/contract.md §5: correlationId = orderId). */
  correlationId?: string;
  /** Default: `boxoffice.events`; '' is the default exchange, where the routing key names a queue. */
  exchange?: string;
  /** AMQP headers, e.g. the ones a consumer sets when it parks a message in a DLQ. Default: none. */
  headers?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * A test's own AMQP connection to a vhost, never through a proxy: it publishes as a service would, taps what
 * the services publish, and reads queues. Its channels are separate, so that a check on a missing queue (which
 * makes the broker close the channel) never stops the taps or the publishing.
 */
export class TestBroker {
  /** Every message taken so far, per queue, in arrival order: a later look sees the earlier ones too. */
  private readonly taken = new Map<string, TakenMessage[]>();
  /** Messages the broker returned as unroutable, by messageId, until their confirm arrives. */
  private readonly returned = new Map<string, number>();
  private inspecting?: Promise<Channel>;
  private closed = false;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly publishing: ConfirmChannel,
    private readonly tapping: Channel,
    private readonly appId: string,
  ) {
    // Deleting the vhost or a forced close ends the connection; close() then has nothing left to do.
    connection.on('error', () => undefined);
    connection.on('close', () => (this.closed = true));
    publishing.on('return', (message: Message) => {
      const messageId = String(message.properties.messageId);
      this.returned.set(messageId, (this.returned.get(messageId) ?? 0) + 1);
    });
  }

  /**
   * `appId`: the service this test stands in for when it publishes. `tap`: routing keys to tap from the start,
   * which also makes them routable, as the consumer queues of another service would in production.
   */
  static async open(
    url: string,
    { appId = 'test', tap = [] }: { appId?: string; tap?: readonly string[] } = {},
  ): Promise<TestBroker> {
    const connection = await connect(url);
    try {
      const publishing = await connection.createConfirmChannel();
      await declareExchange(publishing);
      const broker = new TestBroker(connection, publishing, await connection.createChannel(), appId);
      for (const routingKey of tap) await broker.tap(routingKey);
      return broker;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** Binds a queue of this connection to `routingKey` on `boxoffice.events`; returns its name. */
  async tap(routingKey: string): Promise<string> {
    const queue = tapQueueOf(routingKey);
    await declareExchange(this.tapping);
    await this.tapping.assertQueue(queue, { exclusive: true, durable: false });
    await this.tapping.bindQueue(queue, BOXOFFICE_EXCHANGE, routingKey);
    return queue;
  }

  /** Everything tapped so far with this routing key (and correlationId, when given), oldest first. */
  tapped(routingKey: string, correlationId?: string): Promise<TakenMessage[]> {
    return this.drain(this.tapping, tapQueueOf(routingKey), correlationId);
  }

  /** The first message tapped with this routing key and correlationId, waiting for it if none came yet. */
  async nextTapped(routingKey: string, correlationId: string, timeoutMs = 10_000): Promise<TakenMessage> {
    const [first] = await eventually(
      async () => {
        const messages = await this.tapped(routingKey, correlationId);
        return messages.length > 0 && messages;
      },
      { timeoutMs, what: `${routingKey} of ${correlationId} tapped` },
    );
    return first;
  }

  /**
   * Takes every message out of a queue nobody else consumes (a DLQ, a queue no service consumes) and returns all
   * taken from it so far, with this correlationId when given.
   */
  async take(queue: string, correlationId?: string): Promise<TakenMessage[]> {
    return this.inspect((channel) => this.drain(channel, queue, correlationId));
  }

  /**
   * Publishes JSON as MessagePublisher does (persistent, mandatory, confirmed, the properties of docs/contract.md §5) and resolves
   * with the messageId once the broker confirmed it; rejects when no queue was bound for it.
   */
  publish(routingKey: string, payload: object, options: TestPublishOptions = {}): Promise<string> {
    const orderId = (payload as { orderId?: unknown }).orderId;
    return this.publishRaw(routingKey, JSON.stringify(payload), {
      ...options,
      correlationId: options.correlationId ?? (orderId === undefined ? undefined : String(orderId)),
    });
  }

  /** The same, with any body: a poison message that is not JSON, or not the contract's. */
  async publishRaw(
    routingKey: string,
    body: string | Buffer,
    options: TestPublishOptions = {},
  ): Promise<string> {
    const { messageId = randomUUID(), correlationId, exchange = BOXOFFICE_EXCHANGE, headers } = options;
    const properties: Options.Publish = {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      messageId,
      ...(correlationId !== undefined && { correlationId }),
      type: routingKey,
      timestamp: Math.floor(Date.now() / 1000),
      appId: this.appId,
      ...(headers !== undefined && { headers: { ...headers } }),
    };
    await new Promise<void>((resolve, reject) =>
      this.publishing.publish(exchange, routingKey, Buffer.from(body), properties, (error: unknown) =>
        error ? reject(new Error(`not confirmed: ${String(error)}`)) : resolve(),
      ),
    );
    // The broker returns an unroutable mandatory message before it confirms it.
    if (this.takeReturned(messageId)) {
      throw new Error(`unroutable: no queue bound to "${exchange}" for "${routingKey}"`);
    }
    return messageId;
  }

  /** Messages ready in a queue, read over AMQP (the management API's counts lag by seconds). */
  async depth(queue: string): Promise<number> {
    return this.inspect(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  async consumers(queue: string): Promise<number> {
    return this.inspect(async (channel) => (await channel.checkQueue(queue)).consumerCount);
  }

  /**
   * Declares a queue, for a test that needs one to exist with other arguments than a service would give it;
   * bound to `routingKey` on `boxoffice.events` when one is given.
   */
  async declareQueue(queue: string, options: Options.AssertQueue, routingKey?: string): Promise<void> {
    await this.inspect(async (channel) => {
      await channel.assertQueue(queue, options);
      if (routingKey !== undefined) await channel.bindQueue(queue, BOXOFFICE_EXCHANGE, routingKey);
    });
  }

  /** A queue bound to `routingKey` that holds nothing (max length 0, reject-publish): the broker nacks it all. */
  async refuse(routingKey: string): Promise<void> {
    // Durable: RabbitMQ 4.3 refuses transient non-exclusive queues (docs/decisions.md); the vhost goes after the test.
    const options = { durable: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } };
    await this.declareQueue(`test.refuse.${routingKey}`, options, routingKey);
  }

  async close(): Promise<void> {
    if (!this.closed) await this.connection.close();
  }

  private async drain(channel: Channel, queue: string, correlationId?: string): Promise<TakenMessage[]> {
    const messages = this.taken.get(queue) ?? [];
    this.taken.set(queue, messages);
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) break;
      messages.push({ ...message, payload: parseJson(message.content.toString('utf8')) });
    }
    return messages.filter(
      (message) => correlationId === undefined || message.properties.correlationId === correlationId,
    );
  }

  /** Runs `work` on the inspecting channel, opened again after the broker closed it for a failed check. */
  private async inspect<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const opening = (this.inspecting ??= this.connection.createChannel().then((channel) => {
      channel.on('close', () => {
        if (this.inspecting === opening) this.inspecting = undefined;
      });
      return channel;
    }));
    try {
      return await work(await opening);
    } catch (error) {
      // Closed by the broker (its 'close' event may come later) or not: either way the next call opens a new one.
      if (this.inspecting === opening) this.inspecting = undefined;
      await opening.then((channel) => channel.close()).catch(() => undefined);
      throw error;
    }
  }

  private takeReturned(messageId: string): boolean {
    const count = this.returned.get(messageId) ?? 0;
    if (count === 0) return false;
    if (count === 1) this.returned.delete(messageId);
    else this.returned.set(messageId, count - 1);
    return true;
  }
}

function tapQueueOf(routingKey: string): string {
  return `test.tap.${routingKey}`;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsed: text };
  }
}
