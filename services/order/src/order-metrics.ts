import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ErrorCode } from '@boxoffice/contracts/errors/error-codes';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import {
  boundOnce,
  ServiceMetrics,
  type CounterOf,
  type HistogramOf,
} from '@boxoffice/metrics/service-metrics';

// From a payment answered at once to ORDER_PAYMENT_TIMEOUT_SECONDS (900) and past it.
const TIME_TO_FINAL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];
const WAITING_STEPS = ['PAYMENT', 'COMMIT', 'COMPENSATION'] as const;
// From a lone item to ORDER_BATCH_MAX_ITEMS' upper bound.
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The work order does in natural batches (see NaturalBatch): each round trip that carries many. */
export type BatchName = 'key_claim' | 'reserve' | 'record' | 'commit' | 'release';
/**
 * The age of the oldest order waiting in a step that has no timeout, each an alert: a compensation pending, and a
 * commit inventory keeps answering unexpectedly (it never ends by itself). `since` is a column of orders.
 */
const OLDEST_WAITING = [
  {
    name: 'boxoffice_saga_compensation_oldest_age_seconds',
    help: 'Age of the oldest CANCELLED order whose compensation is not complete, from its cancellation (0 when none)',
    since: 'cancelled_at',
    step: 'COMPENSATION',
  },
  {
    name: 'boxoffice_saga_commit_oldest_age_seconds',
    help: 'Age of the oldest order waiting for inventory to commit its hold, from its payment (0 when none)',
    since: 'updated_at', // written when the order entered COMMIT; nothing else writes it there
    step: 'COMMIT',
  },
] as const;

/**
 * What the order service counts: the answers to POST /orders, how the saga ends each order, and what it still waits
 * for (the orders by step, the oldest compensation pending and commit unanswered, the steps its driver did again).
 */
@Injectable()
export class OrderMetrics {
  /** Every 202, an Idempotency-Key's replayed 202 included. */
  readonly accepted: CounterOf;
  /** Every POST /orders the service refused, by the contract's error code (the validation pipe's 400s excluded). */
  readonly refused: CounterOf<'code'>;
  /** Its child per code, bound once: a sold-out storm counts thousands of SOLD_OUT a second. */
  private readonly refusedBy = boundOnce((code: ErrorCode) => this.refused.labels({ code }));
  /** 504 OUTCOME_UNKNOWN: neither accepted nor refused, the order may exist (docs/contract.md §2). */
  private readonly outcomeUnknown: CounterOf;
  private readonly outcomes: CounterOf<'status' | 'reason'>;
  private readonly timeToFinal: HistogramOf<'status'>;
  /** Steps the saga's driver did again (re-sent, committed or released again), by the step the order waited in. */
  private readonly driverAttempts: CounterOf<'step'>;
  private readonly batchSizes: HistogramOf<'batch'>;
  /** Holds the hold reconciliation released: each one a leak found (an order never recorded). */
  private readonly holdsReconciled: CounterOf;

  constructor(metrics: ServiceMetrics, db: DataSource) {
    this.accepted = metrics.counter({
      name: 'boxoffice_orders_accepted_total',
      help: 'POST /orders answered 202 (an Idempotency-Key replay included)',
    });
    this.refused = metrics.counter({
      name: 'boxoffice_orders_refused_total',
      help: 'POST /orders refused, by error code (SOLD_OUT, PURCHASE_LIMIT_EXCEEDED, UNAVAILABLE, OVERLOADED...)',
      labelNames: ['code'],
    });
    this.outcomeUnknown = metrics.counter({
      name: 'boxoffice_orders_outcome_unknown_total',
      help: 'POST /orders answered 504 OUTCOME_UNKNOWN: the order may have been recorded',
    });
    this.outcomes = metrics.counter({
      name: 'boxoffice_saga_outcomes_total',
      help: 'Orders that left CREATED, by final status and reason (empty for CONFIRMED)',
      labelNames: ['status', 'reason'],
    });
    this.timeToFinal = metrics.histogram({
      name: 'boxoffice_order_time_to_final_seconds',
      help: "Time from an order's 202 (created_at) to CONFIRMED or CANCELLED, on the database's clock",
      labelNames: ['status'],
      buckets: TIME_TO_FINAL_BUCKETS,
    });
    this.driverAttempts = metrics.counter({
      name: 'boxoffice_saga_driver_attempts_total',
      help: "Steps the saga's driver did again, not answered in time (a message lost, a participant down), by step",
      labelNames: ['step'],
    });
    this.batchSizes = metrics.histogram({
      name: 'boxoffice_batch_size',
      help: 'Items per batch, by what the batch does (key_claim, reserve, record, commit, release)',
      labelNames: ['batch'],
      buckets: BATCH_SIZE_BUCKETS,
    });
    this.holdsReconciled = metrics.counter({
      name: 'boxoffice_order_holds_reconciled_total',
      help: 'Holds still HELD with no order, released by the hold reconciliation (each a leak: order died, inventory down)',
    });
    // Read from the table when Prometheus scrapes: one query on the partial index orders_due each.
    metrics.gaugeReadOnScrape({
      name: 'boxoffice_saga_orders_waiting',
      help: 'Orders whose saga is not DONE, however young, by the step they wait in (COMPENSATION: CANCELLED, compensation pending); the saga backlog limit counts only those CREATED ORDER_SAGA_BACKLOG_AFTER_SECONDS or more',
      labelNames: ['step'],
      read: async (gauge) => {
        const rows = (await db.query(
          `SELECT step, count(*)::int AS count FROM orders WHERE step <> 'DONE' GROUP BY step`,
        )) as Array<{ step: string; count: number }>;
        for (const step of WAITING_STEPS)
          gauge.set({ step }, rows.find((row) => row.step === step)?.count ?? 0);
      },
    });
    for (const { name, help, since, step } of OLDEST_WAITING)
      metrics.gaugeReadOnScrape({
        name,
        help,
        read: async (gauge) => {
          const [{ seconds }] = (await db.query(
            `SELECT COALESCE(extract(epoch FROM now() - min(${since})), 0)::float8 AS seconds
             FROM orders WHERE step = $1`,
            [step],
          )) as [{ seconds: number }];
          gauge.set(seconds);
        },
      });
  }

  refusedWith(code: ErrorCode): void {
    if (code === 'OUTCOME_UNKNOWN') this.outcomeUnknown.inc();
    else this.refusedBy(code).inc();
  }

  /** An order moved out of CREATED, `seconds` after it was created. */
  ended({ status, reason }: Pick<OrderView, 'status' | 'reason'>, seconds: number): void {
    this.outcomes.inc({ status, reason: reason ?? '' });
    this.timeToFinal.observe({ status }, seconds);
  }

  /** A NaturalBatch's onBatch for `batch`: each batch's size observed, its child bound once. */
  batched(batch: BatchName): (size: number) => void {
    const child = this.batchSizes.labels({ batch });
    return (size) => child.observe(size);
  }

  /** The hold reconciliation released a hold that had no order. */
  reconciledHold(): void {
    this.holdsReconciled.inc();
  }

  /** The saga's driver did a step again. */
  drove(step: string): void {
    this.driverAttempts.inc({ step });
  }
}
