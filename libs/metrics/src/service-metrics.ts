import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsSettings } from './metrics-settings';

/** What a hot path may call: increments and observations, which do nothing while metrics are off. */
export type CounterOf<L extends string = string> = Pick<Counter<L>, 'inc'>;
export type HistogramOf<L extends string = string> = Pick<Histogram<L>, 'observe'>;

interface Instrument<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

const SWITCHED_OFF = { inc: () => undefined, observe: () => undefined };

/**
 * One Prometheus registry per app, not prom-client's global one: two apps of one service in a jest process (or
 * one started again) each count their own, and never meet "metric already registered". Holds the process's
 * default metrics and every instrument the service and its libs declare; GET /metrics reads it.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly enabled: boolean;

  constructor(settings: MetricsSettings) {
    this.enabled = settings.enabled;
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(instrument: Instrument<L>): CounterOf<L> {
    if (!this.enabled) return SWITCHED_OFF;
    return new Counter({
      ...instrument,
      labelNames: instrument.labelNames ?? [],
      registers: [this.registry],
    });
  }

  histogram<L extends string>(instrument: Instrument<L> & { buckets: number[] }): HistogramOf<L> {
    if (!this.enabled) return SWITCHED_OFF;
    return new Histogram({
      ...instrument,
      labelNames: instrument.labelNames ?? [],
      registers: [this.registry],
    });
  }

  /**
   * A gauge read when Prometheus scrapes, by `read`, which sets its values (a cheap query). If `read` fails the
   * gauge keeps what it read last, so one unreachable dependency does not cost the scrape all other metrics.
   */
  gaugeReadOnScrape<L extends string>(
    instrument: Instrument<L> & { read: (gauge: Gauge<L>) => Promise<void> },
  ): void {
    if (!this.enabled) return;
    const { read, ...rest } = instrument;
    new Gauge<L>({
      ...rest,
      labelNames: rest.labelNames ?? [],
      registers: [this.registry],
      async collect() {
        await read(this).catch(() => undefined);
      },
    });
  }

  /** The Prometheus text format; empty while metrics are off. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return {
      contentType: this.registry.contentType,
      body: this.enabled ? await this.registry.metrics() : '',
    };
  }
}
