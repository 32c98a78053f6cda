import type { EnvReader } from '@boxoffice/config/env-reader';

export interface MetricsSettings {
  /** Off: no instrument records anything and GET /metrics is 404, so the cost of metrics can be measured. */
  enabled: boolean;
}

/** `METRICS_ENABLED` (true | false, default true). */
export function readMetricsSettings(env: EnvReader): MetricsSettings {
  return { enabled: env.bool('METRICS_ENABLED', true) };
}
