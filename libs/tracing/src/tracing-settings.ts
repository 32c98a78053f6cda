import type { EnvReader } from '@boxoffice/config/env-reader';

export interface TracingSettings {
  /** Where spans go (OTLP over HTTP, `/v1/traces` appended); none: tracing is off and costs nothing. */
  otlpEndpoint?: string;
  /** The `service.name` every span of this process carries. */
  serviceName: string;
}

/** The standard OpenTelemetry variables `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_SERVICE_NAME` (default: `service`). */
export function readTracingSettings(env: EnvReader, service: string): TracingSettings {
  const otlpEndpoint = env.url('OTEL_EXPORTER_OTLP_ENDPOINT', '', ['http:', 'https:']);
  return {
    otlpEndpoint: otlpEndpoint || undefined,
    serviceName: env.label('OTEL_SERVICE_NAME', service),
  };
}
