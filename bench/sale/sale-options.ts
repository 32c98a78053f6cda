import { parseArgs } from 'node:util';
import type { RoomSettings } from './room-buyer';

/** What `npm run sale` was asked for. `rate` set: open model (arrivals on a schedule); else closed (concurrency). */
export interface SaleOptions {
  stock: number;
  buyers: number;
  concurrency: number;
  rate: number | null;
  users: number;
  quantity: number;
  declineRate: number;
  perUserLimit: number;
  eventId: string;
  json: boolean;
  /** `--waiting-room`: the sale's room turned on, every buyer through it; null without. */
  room: RoomSettings | null;
}

export type ParsedOptions = { ok: true; options: SaleOptions } | { ok: false; errors: string[] };

/** Parses the command line; every bad value is listed at once. Pure: `newEventId` names a sale when none is given. */
export function parseSaleOptions(args: string[], newEventId: () => string): ParsedOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        stock: { type: 'string' },
        buyers: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        users: { type: 'string' },
        quantity: { type: 'string' },
        'decline-rate': { type: 'string' },
        'per-user-limit': { type: 'string' },
        event: { type: 'string' },
        json: { type: 'boolean', default: false },
        'waiting-room': { type: 'boolean', default: false },
        'admit-per-second': { type: 'string' },
        'pre-queue-seconds': { type: 'string' },
      },
    }));
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  const errors: string[] = [];
  const integer = (name: string, fallback: number, min: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      errors.push(`--${name} must be an integer >= ${min}, got ${raw}`);
    return value;
  };
  const real = (name: string, fallback: number | null, min: number, max: number): number | null => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value < min || value > max)
      errors.push(`--${name} must be a number in ${min}..${max}, got ${raw}`);
    return value;
  };
  const rate = real('rate', null, 0.001, 1_000_000);
  const duration = real('duration', null, 0.001, 86_400);
  if (rate !== null && values.concurrency !== undefined)
    errors.push('--rate (open model) and --concurrency (closed model) exclude each other');
  if (duration !== null && rate === null) errors.push('--duration needs --rate');
  if (duration !== null && values.buyers !== undefined)
    errors.push('--duration sets the buyers (rate × duration): leave out --buyers');
  const buyers =
    rate !== null && duration !== null
      ? Math.max(1, Math.round(rate * duration))
      : integer('buyers', 1000, 1);
  const room = values['waiting-room'] === true ? roomOf(values, errors) : null;
  if (!room && (values['admit-per-second'] ?? values['pre-queue-seconds']) !== undefined)
    errors.push('--admit-per-second and --pre-queue-seconds need --waiting-room');
  if (room && values.users !== undefined)
    errors.push('--waiting-room takes one entry per user: leave out --users (a user per buyer)');
  const options: SaleOptions = {
    stock: integer('stock', 100, 0),
    buyers,
    // Through a room, every buyer arrives at once unless told otherwise: the room is what paces them.
    concurrency: integer('concurrency', room ? buyers : 100, 1),
    rate,
    users: integer('users', buyers, 1),
    quantity: integer('quantity', 1, 1),
    declineRate: real('decline-rate', 0, 0, 1) ?? 0,
    perUserLimit: integer('per-user-limit', 0, 0),
    eventId: (values.event as string | undefined) ?? newEventId(),
    json: values.json === true,
    room,
  };
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(options.eventId))
    errors.push(`--event must be 1-100 letters, digits, _ or -, got ${options.eventId}`);
  return errors.length ? { ok: false, errors } : { ok: true, options };
}

/** `--admit-per-second n|auto` (default 100; "auto" passed to the server as it is) and `--pre-queue-seconds s`. */
function roomOf(values: Record<string, string | boolean | undefined>, errors: string[]): RoomSettings {
  const rate = (values['admit-per-second'] as string | undefined) ?? '100';
  const admitPerSecond = rate === 'auto' ? 'auto' : Number(rate);
  if (admitPerSecond !== 'auto' && (!Number.isInteger(admitPerSecond) || admitPerSecond < 1))
    errors.push(`--admit-per-second must be an integer >= 1 or auto, got ${rate}`);
  const raw = values['pre-queue-seconds'] as string | undefined;
  const preQueueSeconds = raw === undefined ? null : Number(raw);
  if (preQueueSeconds !== null && (raw === '' || !Number.isFinite(preQueueSeconds) || preQueueSeconds <= 0))
    errors.push(`--pre-queue-seconds must be a number > 0, got ${raw}`);
  return { admitPerSecond, preQueueSeconds };
}
