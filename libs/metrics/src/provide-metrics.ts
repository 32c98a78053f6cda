import type { Provider, Type } from '@nestjs/common';
import type { MetricsSettings } from './metrics-settings';
import { ServiceMetrics } from './service-metrics';

/** The app's ServiceMetrics, from `metrics` of the service's config; list MetricsController beside it. */
export function provideMetrics<C extends { metrics: MetricsSettings }>(configType: Type<C>): Provider {
  return {
    provide: ServiceMetrics,
    inject: [configType],
    useFactory: (config: C) => new ServiceMetrics(config.metrics),
  };
}
