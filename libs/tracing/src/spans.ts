import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * A trace context as it crosses a process: W3C `traceparent` (and `tracestate`), in HTTP headers, AMQP headers and
 * outbox rows. Empty while tracing is off.
 */
export type TraceHeaders = Record<string, string>;

// A proxy: it hands out no-op spans until tracing is registered (start-tracing.ts), real ones after.
const tracer = trace.getTracer('boxoffice');

interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Default: the current context. */
  parent?: Context;
}

/** Runs `work` as the current span `name`; the span ends when work settles, marked failed when it throws. */
export async function inSpan<T>(name: string, work: () => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A call to another service: `work` gets the headers that make the callee's span a child of this one. */
export function inClientSpan<T>(
  name: string,
  work: (headers: TraceHeaders) => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  return inSpan(name, () => work(currentTraceHeaders() ?? {}), { kind: SpanKind.CLIENT, attributes });
}

/**
 * Sending a message. Its span is a child of `stored` when given (the context an outbox row was written in; empty: a
 * trace of its own), else of the current span; `work` gets the headers that carry this span to the consumer.
 */
export function inProducerSpan<T>(
  name: string,
  stored: TraceHeaders | undefined,
  work: (headers: TraceHeaders) => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  const parent = stored ? propagation.extract(ROOT_CONTEXT, stored) : context.active();
  return inSpan(name, () => work(currentTraceHeaders() ?? {}), {
    kind: SpanKind.PRODUCER,
    parent,
    attributes,
  });
}

/** Handling a received message, as a child of the span its headers carry (none: a trace of its own). */
export function inConsumerSpan<T>(
  name: string,
  headers: Readonly<Record<string, unknown>> | undefined,
  work: () => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, headers ?? {});
  return inSpan(name, work, { kind: SpanKind.CONSUMER, parent, attributes });
}

/** An HTTP request being served: `run` the handler inside it, `end` it with the status code answered. */
export interface ServerSpan {
  run<T>(handler: () => T): T;
  end(statusCode: number): void;
}

/** Starts the server span of a request, a child of the caller's span when its headers carry one. */
export function startServerSpan(
  name: string,
  headers: Readonly<Record<string, unknown>>,
  attributes?: Attributes,
): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  return {
    run: (handler) => context.with(active, handler),
    end: (statusCode) => {
      span.setAttribute('http.response.status_code', statusCode);
      // A 4xx is the caller's mistake, answered as the contract says: only a 5xx fails the span.
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** The current trace context as headers, or undefined when there is none to carry (tracing off, no span). */
export function currentTraceHeaders(): TraceHeaders | undefined {
  const headers: TraceHeaders = {};
  propagation.inject(context.active(), headers);
  return headers.traceparent === undefined ? undefined : headers;
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
