import { consumerQueueRows, type ConsumerQueueRow } from './consumer-queues';
import { age, count, rate } from './figure-format';
import type { MonitorSnapshot, SaleStatus, ServiceReadiness } from './monitor-snapshot';
import { oldestCreatedText, outboxText, readiness, roomText, stockText } from './render-line';
import type { SaleRates } from './sale-rates';

export interface ScreenSize {
  width: number;
  height: number;
}

/** An order CREATED this long deserves a look (payments normally answer within seconds). */
const OLD_CREATED_SECONDS = 30;
/** An outbox row unsent this long means the relay cannot publish. */
const OLD_UNSENT_SECONDS = 5;
const SALE_ID_WIDTH = 20;

type Tone = 'plain' | 'bold' | 'dim' | 'good' | 'warn' | 'bad';
const SGR: Record<Tone, string> = { plain: '', bold: '1', dim: '2', good: '32', warn: '33', bad: '1;31' };

/** One line of the screen: its text (cut to the width before painting) and how it is painted. */
interface Line {
  text: string;
  tone: Tone;
}

/**
 * The full-screen view, one refresh: services, sales, queues, outbox, oldest CREATED order, problems; fits
 * `size` (sales beyond the height are counted, not shown). Colour only when `color`.
 */
export function renderScreen(
  snapshot: MonitorSnapshot,
  rates: Map<string, SaleRates>,
  {
    size,
    color,
    intervalSeconds,
    admitted = new Map(),
  }: {
    size: ScreenSize;
    color: boolean;
    intervalSeconds: number;
    /** Buyers admitted a second per waiting room (roomRates). */
    admitted?: Map<string, number>;
  },
): string {
  const time = new Date(snapshot.at).toISOString().slice(11, 19);
  const header: Line[] = [
    { text: `BOXOFFICE MONITOR  ${time} UTC  every ${intervalSeconds}s  Ctrl-C quits`, tone: 'bold' },
  ];
  const tail: Line[] = [
    ...roomLines(snapshot, admitted),
    { text: '', tone: 'plain' },
    ...queueLines(snapshot),
    { text: '', tone: 'plain' },
    { text: `outbox  ${outboxText(snapshot)}`, tone: outboxTone(snapshot) },
    { text: oldestCreatedText(snapshot), tone: oldestTone(snapshot) },
    ...snapshot.problems.map((problem): Line => ({ text: `! ${problem}`, tone: 'bad' })),
  ];
  const services = serviceLine(snapshot.services, color);
  const sales = saleLines(snapshot.sales, rates, size.height - header.length - 2 - tail.length);
  const paint = (line: Line) => {
    const text = line.text.slice(0, size.width);
    return color && line.tone !== 'plain' ? `\x1b[${SGR[line.tone]}m${text}\x1b[0m` : text;
  };
  return [...header.map(paint), services, '', ...sales.map(paint), ...tail.map(paint)].join('\n');
}

/** Each service painted by its state; the line is short enough not to need cutting. */
function serviceLine(services: ServiceReadiness[], color: boolean): string {
  const tones: Record<ServiceReadiness['state'], Tone> = { ready: 'good', 'not ready': 'warn', down: 'bad' };
  return `services  ${services
    .map((service) => {
      const text = readiness(service);
      return color ? `\x1b[${SGR[tones[service.state]]}m${text}\x1b[0m` : text;
    })
    .join('   ')}`;
}

function saleLines(sales: SaleStatus[], rates: Map<string, SaleRates>, room: number): Line[] {
  if (!sales.length) return [{ text: 'no active sale', tone: 'dim' }];
  const idWidth = Math.min(SALE_ID_WIDTH, Math.max(4, ...sales.map((sale) => sale.eventId.length)));
  const num = (value: string | number, width = 6) => String(value).padStart(width);
  const outcome = (n: number, perSecond: number | undefined) => `${num(n)} ${num(rate(perSecond), 7)}`;
  const head: Line = {
    text: `${'sale'.padEnd(idWidth)}${num('total')}${num('avail')}${num('held')}${num('sold')} │${num('accepted', 14)}${num('confirmed', 15)}${num('cancelled', 15)}${num('open')}`,
    tone: 'dim',
  };
  const lines: Line[] = [];
  let shown = 0;
  for (const { eventId, totalStock, stock, orders } of sales) {
    const perSecond = rates.get(eventId);
    const figures = orders
      ? `${outcome(orders.accepted, perSecond?.accepted)} ${outcome(orders.confirmed, perSecond?.confirmed)} ${outcome(orders.cancelled, perSecond?.cancelled)}${num(orders.created)}`
      : '  orders unknown';
    const row: Line[] = [
      {
        text: `${eventId.slice(0, idWidth).padEnd(idWidth)}${num(totalStock)}${num(stock.available)}${num(stock.held)}${num(stock.sold)} │${figures}`,
        tone: 'plain',
      },
    ];
    const reasons = Object.entries(orders?.cancelledBy ?? {});
    if (reasons.length) {
      const text = reasons.map(([reason, n]) => `${reason} ${n} (${rate(perSecond?.cancelledBy[reason])})`);
      row.push({ text: `  cancelled by reason: ${text.join(', ')}`, tone: 'dim' });
    }
    if (lines.length + row.length > room - 2 && shown < sales.length - 1) break;
    lines.push(...row);
    shown += 1;
  }
  const hidden = sales.length - shown;
  if (hidden) lines.push({ text: `… ${hidden} more sales (pick with --event <eventId>)`, tone: 'dim' });
  return [head, ...lines];
}

/** The rooms that are on, under the sales (nothing while none is): a closed one in red, an operator must act. */
function roomLines({ rooms }: MonitorSnapshot, admitted: Map<string, number>): Line[] {
  if (!rooms)
    return [
      { text: '', tone: 'plain' },
      { text: 'waiting rooms unknown', tone: 'bad' },
    ];
  if (!rooms.length) return [];
  const width = Math.min(SALE_ID_WIDTH, Math.max(12, ...rooms.map((room) => room.eventId.length)));
  const cells = (eventId: string, values: string[]) =>
    `${eventId.slice(0, width).padEnd(width)}${values.map((value, i) => value.padStart([8, 12, 14, 9, 10][i])).join('')}`;
  return [
    { text: '', tone: 'plain' },
    { text: cells('waiting room', ['queued', 'admitted', 'longest wait', 'set', 'stock']), tone: 'dim' },
    ...rooms.map((room): Line => {
      const { eventId, queue } = room;
      if (!queue)
        return {
          text: `${eventId.slice(0, width).padEnd(width)}  ${roomText(room, undefined)}`,
          tone: 'bad',
        };
      const { queued, longestEstimatedWaitSeconds, admitPerSecond, stock } = queue;
      return {
        text: cells(eventId, [
          String(queued),
          rate(admitted.get(eventId)),
          age(longestEstimatedWaitSeconds),
          `${admitPerSecond}/s`,
          stockText(stock),
        ]),
        // Nobody let in while every ticket is held or sold (the counter stands): yellow, it is why.
        tone: stock === 'all_held' || stock === 'sold_out' ? 'warn' : 'plain',
      };
    }),
  ];
}

function queueLines({ queues }: MonitorSnapshot): Line[] {
  if (!queues) return [{ text: 'queues unknown', tone: 'bad' }];
  const rows = consumerQueueRows(queues);
  const width = Math.max(5, ...rows.map((row) => row.queue.length));
  const cells = (queue: string, values: string[]) =>
    `${queue.padEnd(width)}${values.map((value, i) => value.padStart([7, 9, 10, 7][i])).join('')}`;
  return [
    { text: cells('queue', ['ready', 'unacked', 'retrying', 'dead']), tone: 'dim' },
    ...rows.map((row): Line => ({
      text: cells(row.queue, [row.ready, row.unacked, row.retrying, row.dead].map(count)),
      tone: queueTone(row),
    })),
  ];
}

function queueTone(row: ConsumerQueueRow): Tone {
  if (row.dead) return 'bad';
  return row.retrying ? 'warn' : 'plain';
}

function outboxTone({ outbox }: MonitorSnapshot): Tone {
  const backlogs = Object.values(outbox);
  if (backlogs.some((backlog) => backlog.parked > 0)) return 'bad';
  const stuck = backlogs.some((backlog) => (backlog.oldestUnsentSeconds ?? 0) > OLD_UNSENT_SECONDS);
  return stuck ? 'warn' : 'plain';
}

function oldestTone({ oldestCreated }: MonitorSnapshot): Tone {
  return oldestCreated && oldestCreated.ageSeconds > OLD_CREATED_SECONDS ? 'warn' : 'plain';
}
