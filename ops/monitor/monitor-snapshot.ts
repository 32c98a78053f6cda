import type { RoomStock } from '@boxoffice/contracts/order/waiting-room.dto';
import type { OutboxBacklog, QueueDepth } from '../audit/read-snapshot';
import type { StockCounts } from '../audit/audit-snapshot';
import type { ServiceName } from './monitor-settings';

/** What the monitor reads once per refresh; every part it could not read is left out and named in `problems`. */
export interface MonitorSnapshot {
  /** When it was read (this machine's clock, ms): rates divide by the time between two snapshots. */
  at: number;
  sales: SaleStatus[];
  /** The order waiting longest for its end, any sale; null when none is CREATED, absent when unread. */
  oldestCreated?: OldestCreated | null;
  /** The sales whose waiting room is on, each as its status answers; absent when unread. */
  rooms?: RoomStatus[];
  /** The saga queues: consumer queues, their retry tiers and DLQs; absent when unread. */
  queues?: QueueDepth[];
  /** Per service with an outbox (order, payment). */
  outbox: Partial<Record<'order' | 'payment', OutboxBacklog>>;
  services: ServiceReadiness[];
  /** What could not be read this time and why, e.g. `postgres: connect ECONNREFUSED 127.0.0.1:5432`. */
  problems: string[];
}

export interface SaleStatus {
  eventId: string;
  totalStock: number;
  /** From inventory's ledger (Postgres). */
  stock: StockCounts;
  /** From order's table; null when it could not be read. */
  orders: OrderCounts | null;
}

/** A sale's orders so far: every order row was a 202 (accepted); refusals leave none. */
export interface OrderCounts {
  accepted: number;
  /** Still CREATED, however young: the saga backlog limit counts only those CREATED ORDER_SAGA_BACKLOG_AFTER_SECONDS. */
  created: number;
  confirmed: number;
  cancelled: number;
  cancelledBy: Record<string, number>;
}

/** A waiting room that is on (order's Postgres), as `GET /events/{eventId}/waiting-room` answers it. */
export interface RoomStatus {
  eventId: string;
  /** null: the room's queue is gone from Redis (503 WAITING_ROOM_CLOSED), closed until the operator reopens it. */
  queue: RoomQueueStatus | null;
}

export interface RoomQueueStatus {
  /** As set: an integer (or "auto", should the room take it). */
  admitPerSecond: number | string;
  /** Entries not admitted yet, the pre-queue included. */
  queued: number;
  /** The serving counter: positions admitted since the queue opened. */
  admitted: number;
  longestEstimatedWaitSeconds: number;
  /**
   * What the room last read of its sale's stock (contract §2, _The room follows its sale's stock_): `all_held` and
   * `sold_out` stand its counter; null from an order that does not answer it (a build before it).
   */
  stock: RoomStock | null;
}

export interface OldestCreated {
  orderId: string;
  eventId: string;
  ageSeconds: number;
  /** CREATED orders in all. */
  count: number;
}

export interface ServiceReadiness {
  name: ServiceName;
  /** `ready`: 200; `not ready`: it answered otherwise (503); `down`: it did not answer. */
  state: 'ready' | 'not ready' | 'down';
  /** The dependencies it names as failing (503), or why it could not be asked. */
  missing: string[];
}
