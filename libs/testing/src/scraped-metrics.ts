import request from 'supertest';

/** What GET /metrics answered, parsed from the Prometheus text format. */
export interface ScrapedMetrics {
  /** The metric families it declares (`# TYPE` lines), sampled or not yet. */
  readonly families: ReadonlySet<string>;
  /** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** GET /metrics of a service, as a URL or anything with `http()` (a test app or a service process); 200 expected. */
export async function scrapeMetrics(
  service: string | { http(): ReturnType<typeof request> },
): Promise<ScrapedMetrics> {
  const agent = typeof service === 'string' ? request(service) : service.http();
  const { text } = await agent
    .get('/metrics')
    .expect(200)
    .expect('content-type', /^text\/plain/);
  return parseMetrics(text);
}

export function parseMetrics(text: string): ScrapedMetrics {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) families.add(line.split(' ')[2]);
    const match = line.startsWith('#') ? null : SAMPLE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key, value]),
    );
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return {
    families,
    value: (name, labels = {}) => {
      const found = samples.filter(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
      return found.length ? found.reduce((sum, sample) => sum + sample.value, 0) : undefined;
    },
  };
}
