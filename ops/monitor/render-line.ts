import { consumerQueueRows } from './consumer-queues';
import { age, count, rate } from './figure-format';
import type { RoomStock } from '@boxoffice/contracts/order/waiting-room.dto';
import type { MonitorSnapshot, RoomStatus, SaleStatus, ServiceReadiness } from './monitor-snapshot';
import type { SaleRates } from './sale-rates';

/** One line per refresh for a log: the time, then `|`-separated parts, each starting with what it is about. */
export function renderLine(
  snapshot: MonitorSnapshot,
  rates: Map<string, SaleRates>,
  admitted: Map<string, number> = new Map(),
): string {
  const parts = [
    new Date(snapshot.at).toISOString().replace(/\.\d+Z$/, 'Z'),
    `services ${snapshot.services.map(readiness).join(', ')}`,
    ...(snapshot.sales.length
      ? snapshot.sales.map((sale) => saleLine(sale, rates.get(sale.eventId)))
      : ['no active sale']),
    ...(snapshot.rooms
      ? snapshot.rooms.map((room) => `room ${room.eventId} ${roomText(room, admitted.get(room.eventId))}`)
      : ['waiting rooms unknown']),
    queuesLine(snapshot),
    `outbox ${outboxText(snapshot)}`,
    oldestCreatedText(snapshot),
    ...(snapshot.problems.length ? [`problems: ${snapshot.problems.join('; ')}`] : []),
  ];
  return parts.join(' | ');
}

export function readiness(service: ServiceReadiness): string {
  const why = service.missing.length ? ` (${service.missing.join(', ')})` : '';
  return `${service.name} ${service.state}${why}`;
}

function saleLine({ eventId, totalStock, stock, orders }: SaleStatus, rates: SaleRates | undefined): string {
  const head = `sale ${eventId} avail/held/sold ${stock.available}/${stock.held}/${stock.sold} of ${totalStock}`;
  if (!orders) return `${head}, orders unknown`;
  const reasons = Object.entries(orders.cancelledBy)
    .map(([reason, n]) => `${reason} ${n} (${rate(rates?.cancelledBy[reason])})`)
    .join(', ');
  return (
    `${head}, accepted ${orders.accepted} (${rate(rates?.accepted)}), ` +
    `confirmed ${orders.confirmed} (${rate(rates?.confirmed)}), ` +
    `cancelled ${orders.cancelled} (${rate(rates?.cancelled)})${reasons ? `: ${reasons}` : ''}, open ${orders.created}`
  );
}

function queuesLine({ queues }: MonitorSnapshot): string {
  if (!queues) return 'queues unknown';
  const rows = consumerQueueRows(queues);
  const busy = rows.flatMap((row) =>
    (['ready', 'unacked', 'retrying', 'dead'] as const)
      .filter((column) => row[column] !== 0)
      .map((column) => `${row.queue} ${column} ${count(row[column])}`),
  );
  const total = (column: 'ready' | 'unacked' | 'retrying' | 'dead') =>
    rows.some((row) => row[column] === null) ? '?' : String(rows.reduce((n, row) => n + row[column]!, 0));
  return (
    `queues ready ${total('ready')}, unacked ${total('unacked')}, retrying ${total('retrying')}, ` +
    `dead ${total('dead')}${busy.length ? ` (${busy.join(', ')})` : ''}`
  );
}

/** A room's figures after its name; none while no room is on (the part is left out). */
export function roomText({ queue }: RoomStatus, admittedPerSecond: number | undefined): string {
  if (!queue) return 'closed: its queue is gone from Redis (PUT the room again to reopen)';
  return (
    `queued ${queue.queued}, admitted ${rate(admittedPerSecond)} (set ${queue.admitPerSecond}/s), ` +
    `longest wait ${age(queue.longestEstimatedWaitSeconds)}, stock ${stockText(queue.stock)}`
  );
}

/**
 * What the room last read of its sale's stock, in words (contract §2, _The room follows its sale's stock_): while
 * every ticket is held or sold, its counter stands; `-` from an order that does not say (a build before it).
 */
export function stockText(stock: RoomStock | null): string {
  return stock === null ? '-' : stock.replace('_', ' ');
}

export function outboxText({ outbox }: MonitorSnapshot): string {
  const services = ['order', 'payment'] as const;
  return services
    .map((service) => {
      const backlog = outbox[service];
      if (!backlog) return `${service} unknown`;
      const oldest =
        backlog.oldestUnsentSeconds === null ? '' : ` (oldest ${age(backlog.oldestUnsentSeconds)})`;
      const parked = backlog.parked ? `, ${backlog.parked} parked` : '';
      return `${service} ${backlog.unsent} unsent${oldest}${parked}`;
    })
    .join(', ');
}

export function oldestCreatedText({ oldestCreated }: MonitorSnapshot): string {
  if (oldestCreated === undefined) return 'oldest CREATED unknown';
  if (oldestCreated === null) return 'no order CREATED';
  const { ageSeconds, orderId, eventId, count: created } = oldestCreated;
  return `oldest CREATED ${age(ageSeconds)} (${orderId}, sale ${eventId}; ${created} CREATED in all)`;
}
