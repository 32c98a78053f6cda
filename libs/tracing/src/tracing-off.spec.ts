import { trace } from '@opentelemetry/api';
import { ConfigError, EnvReader } from '@boxoffice/config/env-reader';
import { currentTraceHeaders, inClientSpan, inConsumerSpan, inProducerSpan, inSpan } from './spans';
import { startTracing, tracingOn } from './start-tracing';
import { readTracingSettings } from './tracing-settings';

const PARENT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

describe('tracing without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('given no endpoint, when the service boots, then no provider is registered and the tracer is the no-op one', () => {
    const settings = readTracingSettings(new EnvReader({}), 'order');

    expect(startTracing(settings)).toBe(false);

    expect(settings).toEqual({ otlpEndpoint: undefined, serviceName: 'order' });
    expect(tracingOn()).toBe(false);
    expect(trace.getTracer('any').startSpan('any').isRecording()).toBe(false);
  });

  it('given tracing off, when a call, a publish or a consumed message runs, then no trace header is written', async () => {
    const seen: Array<Record<string, string> | undefined> = [];

    await inSpan('outer', async () => {
      await inClientSpan('inventory reserve', async (headers) => void seen.push(headers));
      await inProducerSpan('publish order_created', undefined, async (headers) => void seen.push(headers));
      await inProducerSpan('publish order_created', PARENT, async (headers) => void seen.push(headers));
      await inConsumerSpan(
        'consume order_created',
        PARENT,
        async () => void seen.push(currentTraceHeaders()),
      );
    });

    expect(seen).toEqual([{}, {}, {}, undefined]);
  });

  it('given OTEL_SERVICE_NAME and a bad endpoint, when the settings are read, then the name is used and the endpoint refused', () => {
    const env = new EnvReader({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318',
      OTEL_SERVICE_NAME: 'boxoffice-order',
    });

    const settings = readTracingSettings(env, 'order');

    expect(settings.serviceName).toBe('boxoffice-order');
    expect(() => env.done()).toThrow(ConfigError);
    expect(() => env.done()).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must use http: or https:/);
  });
});
