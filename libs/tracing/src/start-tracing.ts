import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { TracingSettings } from './tracing-settings';

let provider: NodeTracerProvider | undefined;

/**
 * With an OTLP endpoint: this process's spans are batched and sent there. Without one nothing is registered, so the
 * spans of libs/tracing come from the API's no-op tracer and no trace header is ever written.
 */
export function startTracing(settings: TracingSettings): boolean {
  if (!settings.otlpEndpoint) return false;
  const base = settings.otlpEndpoint.endsWith('/') ? settings.otlpEndpoint : `${settings.otlpEndpoint}/`;
  const exporter = new OTLPTraceExporter({ url: new URL('v1/traces', base).href });
  registerTracing(settings.serviceName, [new BatchSpanProcessor(exporter)]);
  return true;
}

/** The SDK with these span processors (a test's in-memory exporter, say), the AsyncLocalStorage context and W3C headers. */
export function registerTracing(serviceName: string, spanProcessors: SpanProcessor[]): void {
  if (provider) throw new Error('tracing is registered already in this process');
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors,
  });
  // Only W3C trace context (`traceparent`, `tracestate`): no baggage crosses the services.
  provider.register({ propagator: new W3CTraceContextPropagator() });
}

export function tracingOn(): boolean {
  return provider !== undefined;
}

/** Sends the spans still waiting in the batch (the HTTP app calls it when it closes). */
export async function flushTraces(): Promise<void> {
  await provider?.forceFlush();
}

/** Flushes, then puts the no-op tracer back: for tests that registered tracing. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}
