import { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfirmChannel, Message } from 'amqplib';
import { inProducerSpan, type TraceHeaders } from '@boxoffice/tracing/spans';
import { AmqpConnection, type AmqpConnectionSettings } from './amqp-connection';
import { describeFailure } from './describe-failure';
import { MESSAGING_DEFAULTS } from './messaging-defaults';
import { failedResult, MessageRefused, MessageUnroutable, type PublishResult } from './publish-result';
import { publishWithConfirm, type OutboundMessage } from './publish-with-confirm';
import { RecoveringChannel } from './recovering-channel';
import { declareExchange, BOXOFFICE_EXCHANGE } from './topology';

export interface MessagePublisherOptions extends AmqpConnectionSettings {
  /** Becomes the messages' appId and names the connection `<service>-publisher`. */
  serviceName: string;
  /** Longest a publish (or a whole batch) waits for a channel and its confirms; then it rejects. */
  publishTimeoutMs?: number;
  /** Larger bodies are refused before they are sent: the broker would close the channel under them. */
  maxMessageBytes?: number;
}

export interface PublishMetadata {
  /** Unique per message and the same on every re-publication: consumers deduplicate by it. */
  messageId: string;
  /** The order the message belongs to (docs/contract.md §5: correlationId = orderId). */
  correlationId: string;
  /** When it happened; defaults to now. Becomes the AMQP timestamp (whole seconds). */
  occurredAt?: Date;
}

/** A message on its way to the broker (from the outbox, or published directly). */
export interface OutgoingMessage extends PublishMetadata {
  routingKey: string;
  payload: unknown;
  /** The trace it belongs to, as stored with its outbox row (empty: a trace of its own); absent: the current one. */
  traceContext?: TraceHeaders;
}

/**
 * Publishes messages to the boxoffice exchange: persistent, JSON, with publisher confirms, on its own
 * connection (a broker applying flow control to publishers then never stalls the consumers).
 * `publish` resolves once the broker has confirmed the message, and rejects when it cannot say so within
 * the timeout: broker down, message refused, or no queue bound for the routing key; `publishEach` says
 * so per message of a batch. Nothing is queued in memory past a call, so an outbox relay can
 * simply try again later.
 */
export class MessagePublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly connection: AmqpConnection;
  private readonly channel: RecoveringChannel;
  private readonly timeoutMs: number;
  private readonly maxMessageBytes: number;
  /** Messages the broker returned as unroutable, by channel and messageId, until their confirm arrives. */
  private readonly returned = new WeakMap<ConfirmChannel, Map<string, number>>();

  constructor(private readonly options: MessagePublisherOptions) {
    this.timeoutMs = options.publishTimeoutMs ?? MESSAGING_DEFAULTS.publishTimeoutMs;
    this.maxMessageBytes = options.maxMessageBytes ?? MESSAGING_DEFAULTS.maxMessageBytes;
    this.connection = new AmqpConnection({ ...options, name: `${options.serviceName}-publisher` });
    this.channel = new RecoveringChannel(this.connection, 'publisher', {
      setup: (channel) => this.setup(channel),
    });
  }

  onModuleInit(): void {
    this.start();
  }

  /** Connects in the background; publishing also starts it. */
  start(): void {
    this.channel.start();
  }

  isReady(): boolean {
    return this.channel.current() !== undefined;
  }

  async publish(routingKey: string, payload: unknown, metadata: PublishMetadata): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    await this.sendTraced({ routingKey, payload, ...metadata }, deadline);
  }

  /**
   * Publishes all messages with their confirms in flight together, then waits for every one, and says how each
   * ended, in the order given (see PublishResult). Never rejects: one bad message fails alone.
   */
  async publishEach(outgoing: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    const deadline = Date.now() + this.timeoutMs;
    return Promise.all(
      outgoing.map(async (message): Promise<PublishResult> => {
        try {
          await this.sendTraced(message, deadline);
          return { messageId: message.messageId, status: 'confirmed' };
        } catch (error) {
          return failedResult(message.messageId, error);
        }
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await this.channel.close();
    await this.connection.close();
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    channel.on('return', (message: Message) => {
      const messageId = String(message.properties.messageId);
      const pending = this.returned.get(channel) ?? new Map<string, number>();
      pending.set(messageId, (pending.get(messageId) ?? 0) + 1);
      this.returned.set(channel, pending);
    });
    await declareExchange(channel);
  }

  /** One `publish <routing key>` span per message; its context travels in the AMQP headers (docs/contract.md §5). */
  private sendTraced(message: OutgoingMessage, deadline: number): Promise<void> {
    return inProducerSpan(
      `publish ${message.routingKey}`,
      message.traceContext,
      (headers) => this.send(this.encode(message, headers), deadline),
      {
        'messaging.message.id': message.messageId,
        'messaging.message.conversation_id': message.correlationId,
      },
    );
  }

  /**
   * If the channel dies before the confirm (a broker restart, a closed connection), the message is
   * sent again on the next channel while the deadline allows: possibly a duplicate, never a loss.
   */
  private async send(message: OutboundMessage, deadline: number): Promise<void> {
    for (;;) {
      const channel = await this.channel.whenOpen(Math.max(0, deadline - Date.now()));
      try {
        await publishWithConfirm(channel, message, deadline - Date.now());
      } catch (error) {
        const channelDied = this.channel.current() !== channel;
        if (channelDied && Date.now() < deadline && !(error instanceof MessageRefused)) continue;
        throw error;
      }
      // The broker confirms an unroutable mandatory message too, after returning it: check for that.
      if (this.takeReturned(channel, String(message.properties.messageId))) {
        throw new MessageUnroutable(
          `unroutable: no queue is bound to ${BOXOFFICE_EXCHANGE} for "${message.routingKey}"`,
        );
      }
      return;
    }
  }

  private takeReturned(channel: ConfirmChannel, messageId: string): boolean {
    const pending = this.returned.get(channel);
    const count = pending?.get(messageId) ?? 0;
    if (count === 0) return false;
    if (count === 1) pending?.delete(messageId);
    else pending?.set(messageId, count - 1);
    return true;
  }

  private encode(message: OutgoingMessage, traceHeaders: TraceHeaders = {}): OutboundMessage {
    const { routingKey, payload, messageId, correlationId, occurredAt = new Date() } = message;
    for (const [field, value] of Object.entries({ routingKey, messageId, correlationId })) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new MessageRefused(`${field} must be a non-empty string`);
      }
    }
    const content = Buffer.from(serialise(messageId, payload), 'utf8');
    if (content.length > this.maxMessageBytes) {
      throw new MessageRefused(
        `payload of ${messageId} is ${content.length} bytes, over the broker's limit of ${this.maxMessageBytes}`,
      );
    }
    return {
      exchange: BOXOFFICE_EXCHANGE,
      routingKey,
      content,
      properties: {
        persistent: true,
        // Unroutable means no consumer queue exists yet: report it instead of letting the broker drop it.
        mandatory: true,
        contentType: 'application/json',
        messageId,
        correlationId,
        type: routingKey,
        timestamp: Math.floor(occurredAt.getTime() / 1000),
        appId: this.options.serviceName,
        // traceparent / tracestate; none while tracing is off.
        ...(Object.keys(traceHeaders).length > 0 ? { headers: traceHeaders } : {}),
      },
    };
  }
}

function serialise(messageId: string, payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    // A cycle or a BigInt.
    throw new MessageRefused(`payload of ${messageId} is not JSON-serialisable: ${describeFailure(error)}`);
  }
  if (json === undefined) throw new MessageRefused(`payload of ${messageId} is not JSON-serialisable`);
  return json;
}
