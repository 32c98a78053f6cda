import type { MonitorSnapshot, OrderCounts } from './monitor-snapshot';

/** Orders per second of one sale between two snapshots, by outcome. */
export interface SaleRates {
  accepted: number;
  confirmed: number;
  cancelled: number;
  cancelledBy: Record<string, number>;
}

/**
 * Per sale, how many orders per second were accepted, confirmed and cancelled (by reason) between `previous` and
 * `current`. A sale whose orders either snapshot could not count has no rates (not zero: unknown).
 */
export function saleRates(
  previous: MonitorSnapshot | undefined,
  current: MonitorSnapshot,
): Map<string, SaleRates> {
  const rates = new Map<string, SaleRates>();
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!previous || seconds <= 0) return rates;
  const before = new Map(previous.sales.map((sale) => [sale.eventId, sale.orders]));
  for (const sale of current.sales) {
    const then = before.get(sale.eventId);
    if (!then || !sale.orders) continue;
    const now: OrderCounts = sale.orders;
    const perSecond = (later: number, earlier: number) => Math.max(0, later - earlier) / seconds;
    const reasons = new Set([...Object.keys(now.cancelledBy), ...Object.keys(then.cancelledBy)]);
    rates.set(sale.eventId, {
      accepted: perSecond(now.accepted, then.accepted),
      confirmed: perSecond(now.confirmed, then.confirmed),
      cancelled: perSecond(now.cancelled, then.cancelled),
      cancelledBy: Object.fromEntries(
        [...reasons].map((reason) => [
          reason,
          perSecond(now.cancelledBy[reason] ?? 0, then.cancelledBy[reason] ?? 0),
        ]),
      ),
    });
  }
  return rates;
}
