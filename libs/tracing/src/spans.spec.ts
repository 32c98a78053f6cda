import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { recordSpans, type RecordedSpans } from '@boxoffice/testing/recorded-spans';
import { currentTraceHeaders, inClientSpan, inConsumerSpan, inProducerSpan, inSpan } from './spans';
import { tracingOn } from './start-tracing';
import { Traced } from './traced.decorator';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

class Checkout {
  @Traced('charge')
  async charge(amount: number): Promise<number> {
    if (amount < 0) throw new Error('negative amount');
    return amount;
  }
}

describe('spans with tracing on (in-memory exporter)', () => {
  let spans: RecordedSpans;
  const named = (name: string) => spans.all().filter((span) => span.name === name);

  beforeAll(() => (spans = recordSpans()));
  afterAll(() => spans.stop());

  it('given a request span, when it calls another service, then the call carries the client span as traceparent', async () => {
    let sent: Record<string, string> = {};

    await inSpan('POST /orders', () =>
      inClientSpan('inventory reserve', async (headers) => void (sent = headers)),
    );

    const [client] = named('inventory reserve');
    const [, traceId, spanId] = TRACEPARENT.exec(sent.traceparent) ?? [];
    expect(tracingOn()).toBe(true);
    expect(client.spanContext()).toMatchObject({ traceId, spanId });
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(spans.ancestry(client)).toEqual(['inventory reserve', 'POST /orders']);
  });

  it('given headers stored by a request long over, when the message is published and consumed, then both join that trace', async () => {
    let stored: Record<string, string> | undefined;
    await inSpan('POST /orders', async () => void (stored = currentTraceHeaders()));
    let sent: Record<string, string> = {};

    // Published from whatever context, as the outbox relay does.
    await inSpan('unrelated', () =>
      inProducerSpan('publish order_created', stored, async (h) => void (sent = h)),
    );
    await inConsumerSpan('consume order_created', sent, async () => undefined);

    const [consumed] = named('consume order_created');
    expect(spans.ancestry(consumed)).toEqual([
      'consume order_created',
      'publish order_created',
      'POST /orders',
    ]);
    expect(named('publish order_created')[0].kind).toBe(SpanKind.PRODUCER);
  });

  it('given a row stored without trace context, when it is published, then its span starts a trace of its own', async () => {
    await inSpan('GET /orders/:orderId', () =>
      inProducerSpan('publish order_cancelled', {}, async () => undefined),
    );

    expect(spans.ancestry(named('publish order_cancelled')[0])).toEqual(['publish order_cancelled']);
  });

  it('given a @Traced method, when it throws, then its span is failed with the error and the error goes on', async () => {
    const checkout = new Checkout();

    await expect(inSpan('consume order_created', () => checkout.charge(-1))).rejects.toThrow(
      'negative amount',
    );
    await expect(checkout.charge(5)).resolves.toBe(5);

    const [failed, succeeded] = named('charge');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'negative amount' });
    expect(failed.events.map((event) => event.name)).toEqual(['exception']);
    expect(spans.ancestry(failed)).toEqual(['charge', 'consume order_created']);
    expect(succeeded.status.code).toBe(SpanStatusCode.UNSET);
  });
});
