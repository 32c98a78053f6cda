import { parseArgs } from 'node:util';

export interface AuditOptions {
  /** The sale audited (`--event`), or every sale. */
  eventId?: string;
  json: boolean;
}

/** `npm run audit`'s arguments; `--sale` is the old name of `--event`, kept so that existing scripts still run. */
export function parseAuditOptions(args: string[]): AuditOptions {
  const { values } = parseArgs({
    args,
    options: {
      event: { type: 'string' },
      sale: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.event !== undefined && values.sale !== undefined)
    throw new Error('--event and --sale are one option (--sale is its old name): give one');
  return { eventId: values.event ?? values.sale, json: values.json };
}
