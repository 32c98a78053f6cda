import { parseArgs } from 'node:util';

export interface MonitorOptions {
  plain: boolean;
  once: boolean;
  /** Seconds between two reads, as given; the default depends on where the output goes. */
  interval?: string;
  /** The sales watched (`--event`, repeated), or null for the active ones. */
  eventIds: string[] | null;
}

/** `npm run monitor`'s arguments; `--sale` is the old name of `--event`, kept so that existing scripts still run. */
export function parseMonitorOptions(args: string[]): MonitorOptions {
  const { values } = parseArgs({
    args,
    options: {
      plain: { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      interval: { type: 'string' },
      event: { type: 'string', multiple: true },
      sale: { type: 'string', multiple: true },
    },
  });
  const eventIds = [...(values.event ?? []), ...(values.sale ?? [])];
  return {
    plain: values.plain,
    once: values.once,
    interval: values.interval,
    eventIds: eventIds.length ? eventIds : null,
  };
}
