import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { registerTracing, stopTracing } from '@boxoffice/tracing/start-tracing';

/** Tracing on in this test process, with every span kept in memory as it ends. */
export interface RecordedSpans {
  /** Every span ended so far, in the order they ended. */
  all(): ReadableSpan[];
  /** The ended spans of one trace. */
  trace(traceId: string): ReadableSpan[];
  /** The names from `span` up through its parents, as far as they have ended (the root last). */
  ancestry(span: ReadableSpan): string[];
  /** Tracing off again (the API's no-op tracer). */
  stop(): Promise<void>;
}

/** Registers tracing as a service with an OTLP endpoint does, exporting to memory at once: before the apps start. */
export function recordSpans(serviceName = 'test'): RecordedSpans {
  const exporter = new InMemorySpanExporter();
  registerTracing(serviceName, [new SimpleSpanProcessor(exporter)]);
  const all = () => exporter.getFinishedSpans();
  return {
    all,
    trace: (traceId) => all().filter((span) => span.spanContext().traceId === traceId),
    ancestry: (span) => {
      const byId = new Map(all().map((ended) => [ended.spanContext().spanId, ended]));
      const names: string[] = [];
      for (let at: ReadableSpan | undefined = span; at; at = byId.get(at.parentSpanContext?.spanId ?? '')) {
        names.push(at.name);
      }
      return names;
    },
    stop: stopTracing,
  };
}
