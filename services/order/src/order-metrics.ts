import { Injectable } from '@nestjs/common';
import type { ErrorCode } from '@boxoffice/contracts/errors/error-codes';
import type { OrderView } from '@boxoffice/contracts/order/order.dto';
import { ServiceMetrics, type CounterOf, type HistogramOf } from '@boxoffice/metrics/service-metrics';

// From a payment answered at once to ORDER_PAYMENT_TIMEOUT_SECONDS (900) and past it.
const TIME_TO_FINAL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];

/** What the order service counts: the answers to POST /orders and how the saga ends each order. */
@Injectable()
export class OrderMetrics {
  /** Every 202, an Idempotency-Key's replayed 202 included. */
  readonly accepted: CounterOf;
  /** Every POST /orders the service refused, by the contract's error code (the validation pipe's 400s excluded). */
  readonly refused: CounterOf<'code'>;
  /** 504 OUTCOME_UNKNOWN: neither accepted nor refused, the order may exist (docs/contract.md §2). */
  private readonly outcomeUnknown: CounterOf;
  private readonly outcomes: CounterOf<'status' | 'reason'>;
  private readonly timeToFinal: HistogramOf<'status'>;

  constructor(metrics: ServiceMetrics) {
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
  }

  refusedWith(code: ErrorCode): void {
    if (code === 'OUTCOME_UNKNOWN') this.outcomeUnknown.inc();
    else this.refused.inc({ code });
  }

  /** An order moved out of CREATED, `seconds` after it was created. */
  ended({ status, reason }: Pick<OrderView, 'status' | 'reason'>, seconds: number): void {
    this.outcomes.inc({ status, reason: reason ?? '' });
    this.timeToFinal.observe({ status }, seconds);
  }
}
