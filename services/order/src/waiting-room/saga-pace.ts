import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderConfig } from '../order.config';

/** The window the saga's pace is measured over: long enough to smooth a batch, short enough to follow a change. */
export const PACE_WINDOW_SECONDS = 5;

/**
 * Per window: the orders that left CREATED (index orders_ended), the orders CREATED now and the age of the k-th
 * oldest of them (index orders_open, every sale), on Postgres's clock. Exported for the plan's test.
 */
export const PACE_READ = `SELECT
  (SELECT count(*) FROM orders WHERE status <> 'CREATED'
     AND coalesce(cancelled_at, updated_at) > now() - make_interval(secs => $1))::int AS ended,
  (SELECT count(*) FROM orders WHERE status = 'CREATED')::int AS open,
  coalesce((SELECT extract(epoch FROM now() - created_at) FROM orders WHERE status = 'CREATED'
     ORDER BY created_at OFFSET $2 - 1 LIMIT 1), 0)::float8 AS lag`;

/** One read of the saga's pace. */
export interface PaceSample {
  /** When it was read (ms, this instance's clock: only differences are used). */
  atMs: number;
  /** Orders that left CREATED over the last PACE_WINDOW_SECONDS. */
  ended: number;
  /** Orders CREATED now. */
  open: number;
  /** Seconds the WAITING_ROOM_AUTO_LATE_ORDERS-th oldest open order has waited. */
  lagSeconds: number;
}

/** What the saga ends, has open and is late with, across every order instance: Postgres has all its orders. */
@Injectable()
export class SagaPace {
  constructor(
    private readonly db: DataSource,
    private readonly config: OrderConfig,
  ) {}

  async read(): Promise<PaceSample> {
    const [row] = (await this.db.query(PACE_READ, [
      PACE_WINDOW_SECONDS,
      this.config.waitingRoom.auto.lateOrders,
    ])) as Array<{ ended: number; open: number; lag: number }>;
    return { atMs: Date.now(), ended: row.ended, open: row.open, lagSeconds: row.lag };
  }
}
