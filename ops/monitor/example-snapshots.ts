import type { MonitorSnapshot, SaleStatus } from './monitor-snapshot';

/** What the unit specs read: a sale of 100 two seconds apart, in the middle of its rush. */
export const BEFORE: MonitorSnapshot = {
  at: Date.UTC(2026, 11, 1, 2, 3, 4),
  sales: [sale('final', { available: 60, held: 10, sold: 30 }, [45, 10, 30, { PAYMENT_DECLINED: 5 }])],
  oldestCreated: { orderId: 'o-17', eventId: 'final', ageSeconds: 73, count: 10 },
  rooms: [
    {
      eventId: 'final',
      queue: {
        admitPerSecond: 50,
        queued: 1300,
        admitted: 300,
        longestEstimatedWaitSeconds: 27,
        stock: 'on_sale',
      },
    },
  ],
  queues: [],
  outbox: {},
  services: [],
  problems: [],
};

export const AFTER: MonitorSnapshot = {
  at: BEFORE.at + 2000,
  sales: [
    sale('final', { available: 40, held: 12, sold: 48 }, [
      69,
      12,
      48,
      { PAYMENT_DECLINED: 7, HOLD_EXPIRED: 2 },
    ]),
  ],
  oldestCreated: { orderId: 'o-17', eventId: 'final', ageSeconds: 75, count: 12 },
  // final's room admitted 96 in the 2 s (48/s); matinee's sale is sold out (its counter stands); encore's lost its
  // queue.
  rooms: [
    {
      eventId: 'final',
      queue: {
        admitPerSecond: 50,
        queued: 1204,
        admitted: 396,
        longestEstimatedWaitSeconds: 25,
        stock: 'on_sale',
      },
    },
    {
      eventId: 'matinee',
      queue: {
        admitPerSecond: 20,
        queued: 310,
        admitted: 90,
        longestEstimatedWaitSeconds: 16,
        stock: 'sold_out',
      },
    },
    { eventId: 'encore', queue: null },
  ],
  queues: [
    { name: 'order.payment_result', messages: 3, ready: 0, unacked: 3 },
    { name: 'order.payment_result.dlq', messages: 4, ready: 4, unacked: 0 },
    { name: 'payment.order_created', messages: 57, ready: 7, unacked: 50 },
    { name: 'payment.order_created.dlq', messages: 0, ready: 0, unacked: 0 },
    { name: 'payment.order_created.retry', messages: 2, ready: 2, unacked: 0 },
    { name: 'payment.order_created.retry.2', messages: 1, ready: 1, unacked: 0 },
  ],
  outbox: {
    order: { unsent: 12, oldestUnsentSeconds: 1.5, parked: 0 },
    payment: { unsent: 0, oldestUnsentSeconds: null, parked: 0 },
  },
  services: [
    { name: 'inventory', state: 'ready', missing: [] },
    { name: 'order', state: 'ready', missing: [] },
    { name: 'payment', state: 'not ready', missing: ['rabbitmq'] },
  ],
  problems: [],
};

/** `orders`: accepted, created, confirmed and the cancelled by reason. */
export function sale(
  eventId: string,
  stock: SaleStatus['stock'],
  [accepted, created, confirmed, cancelledBy]: [number, number, number, Record<string, number>],
): SaleStatus {
  const cancelled = Object.values(cancelledBy).reduce((sum, n) => sum + n, 0);
  return {
    eventId,
    totalStock: stock.available + stock.held + stock.sold,
    stock,
    orders: { accepted, created, confirmed, cancelled, cancelledBy },
  };
}
