import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';
import type { MetricsSettings } from './metrics-settings';

/**
 * What a hot path may call: increments and observations, which do nothing while metrics are off, and `labels`, a
 * label set's child: bound once (see boundOnce), it skips the hashing of the labels every inc or observe does.
 */
export interface CounterOf<L extends string = string> extends Pick<Counter<L>, 'inc'> {
  labels(labels: LabelValues<L>): { inc(value?: number): void };
}
export interface HistogramOf<L extends string = string> extends Pick<Histogram<L>, 'observe'> {
  labels(labels: LabelValues<L>): { observe(value: number): void };
}

interface Instrument<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

const SWITCHED_OFF = { inc: () => undefined, observe: () => undefined, labels: () => SWITCHED_OFF };

/** `bind(key)` made once per key and kept: a metric's child per label set, bound on first use. */
export function boundOnce<K, C>(bind: (key: K) => C): (key: K) => C {
  const children = new Map<K, C>();
  return (key) => {
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = bind(key)));
    return child;
  };
}

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
