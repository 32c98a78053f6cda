import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { connect, type ConfirmChannel } from 'amqplib';
import { MessagePublisher, type OutgoingMessage } from './message-publisher';
import { TestBroker } from '@boxoffice/testing/test-broker';
import { createTestVhost, type TestVhost } from '@boxoffice/testing/test-vhost';

describe('MessagePublisher (real RabbitMQ, own vhost)', () => {
  let vhost: TestVhost;
  let publisher: MessagePublisher;
  let broker: TestBroker;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the unreachable-broker case logs every reconnect attempt
    vhost = await createTestVhost('publisher');
    publisher = new MessagePublisher({ url: vhost.url, serviceName: 'probe', publishTimeoutMs: 3_000 });
    broker = await TestBroker.open(vhost.url); // declares the exchange, as a service would
  });

  afterAll(async () => {
    await publisher?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  const probeMessage = (routingKey: string): OutgoingMessage => {
    const orderId = randomUUID();
    return {
      routingKey,
      payload: { orderId },
      messageId: `${routingKey}:${orderId}`,
      correlationId: orderId,
    };
  };

  it('publishes a batch with its confirms in flight together and resolves once all are in the queue', async () => {
    // given a queue bound for the message
    const queue = await broker.tap('batch_probe');
    const messages = Array.from({ length: 500 }, () => probeMessage('batch_probe'));

    // when
    const results = await publisher.publishEach(messages);

    // then: a confirm means the broker has the message, so all 500 are there already
    expect(results.every((result) => result.status === 'confirmed')).toBe(true);
    expect(await broker.depth(queue)).toBe(500);
    const [first] = await broker.tapped('batch_probe');
    expect(first && first.properties).toMatchObject({ deliveryMode: 2, messageId: messages[0].messageId });
  });

  it('given a batch, when published each, then every message is sent before the first confirm comes back: one confirm round trip per batch, not one per message', async () => {
    // given amqplib's confirm channel, watched: what goes out, and each confirm as it comes back
    await broker.tap('pipelined_probe');
    const messages = Array.from({ length: 50 }, () => probeMessage('pipelined_probe'));
    const connection = await connect(vhost.url);
    const confirmChannel = Object.getPrototypeOf(await connection.createConfirmChannel()) as ConfirmChannel;
    await connection.close();
    const send = confirmChannel.publish;
    const events: string[] = [];
    const watched = jest.spyOn(confirmChannel, 'publish').mockImplementation(function (
      this: ConfirmChannel,
      exchange,
      routingKey,
      content,
      options,
      confirmed,
    ) {
      events.push('sent');
      return send.call(this, exchange, routingKey, content, options, (error, ok) => {
        events.push('confirmed');
        confirmed?.(error, ok);
      });
    });

    // when
    try {
      await publisher.publishEach(messages);
    } finally {
      watched.mockRestore();
    }

    // then
    expect(events).toEqual([...messages.map(() => 'sent'), ...messages.map(() => 'confirmed')]);
  });

  it('given a batch with a message the broker nacks, one it returns, one it cannot encode and one too large, when published each, then only those fail and each says why', async () => {
    // given
    await broker.tap('each_probe');
    await broker.refuse('each_refused');
    const small = new MessagePublisher({
      url: vhost.url,
      serviceName: 'small',
      publishTimeoutMs: 3_000,
      maxMessageBytes: 1024,
    });
    const batch = [
      probeMessage('each_probe'),
      probeMessage('each_refused'),
      probeMessage('each_unbound'),
      { ...probeMessage('each_probe'), correlationId: '' },
      { ...probeMessage('each_probe'), payload: { padding: 'x'.repeat(2048) } },
      probeMessage('each_probe'),
    ];

    try {
      // when
      const results = await small.publishEach(batch);

      // then
      expect(results.map((result) => result.status)).toEqual([
        'confirmed',
        'refused',
        'unroutable',
        'refused',
        'refused',
        'confirmed',
      ]);
      expect(results.map((result) => result.messageId)).toEqual(batch.map((message) => message.messageId));
      expect(results[1]).toMatchObject({ error: expect.stringMatching(/nacked/) });
      expect(results[3]).toMatchObject({ error: 'correlationId must be a non-empty string' });
      expect(results[4]).toMatchObject({ error: expect.stringMatching(/over the broker's limit of 1024/) });
      const tapped = await broker.tapped('each_probe');
      expect(tapped.map((message) => message.properties.messageId)).toEqual([
        batch[0].messageId,
        batch[5].messageId,
      ]);
    } finally {
      await small.close();
    }
  });

  it('rejects a message no queue is bound for, instead of letting the broker drop it', async () => {
    // given no queue bound for the routing key
    const lonely = probeMessage('nobody_listens');

    // when / then
    await expect(
      publisher.publish(lonely.routingKey, lonely.payload, {
        messageId: lonely.messageId,
        correlationId: lonely.correlationId,
      }),
    ).rejects.toThrow(/unroutable/);
  });

  it('rejects within the timeout when the broker is unreachable', async () => {
    // given a publisher pointed at a port where no broker listens
    const stranded = new MessagePublisher({
      url: 'amqp://guest:guest@127.0.0.1:1',
      serviceName: 'stranded',
      publishTimeoutMs: 300,
    });
    const single = probeMessage('order_created');
    const startedAt = Date.now();

    try {
      // when / then
      await expect(
        stranded.publish(single.routingKey, single.payload, {
          messageId: single.messageId,
          correlationId: single.correlationId,
        }),
      ).rejects.toThrow(/broker unavailable/);
      const results = await stranded.publishEach([
        probeMessage('order_created'),
        probeMessage('order_created'),
      ]);
      expect(results).toEqual([
        expect.objectContaining({
          status: 'unconfirmed',
          error: expect.stringMatching(/broker unavailable/),
        }),
        expect.objectContaining({
          status: 'unconfirmed',
          error: expect.stringMatching(/broker unavailable/),
        }),
      ]);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    } finally {
      await stranded.close();
    }
  });

  it('refuses a message without a messageId before touching the broker', async () => {
    await expect(
      publisher.publish('order_created', {}, { messageId: '', correlationId: 'o-1' }),
    ).rejects.toThrow('messageId must be a non-empty string');
  });
});
