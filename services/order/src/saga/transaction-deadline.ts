import type { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { cancelStatementOf } from '@boxoffice/database/cancel-statement';
import type { Deadline } from '../request/deadline';
import { orderNotTaken } from '../request/order-id-claim';

type Query = (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;

/** A transaction watched until its deadline. */
export interface DeadlineBound {
  /** Stops watching; true when a statement of it was cancelled (its connection must then leave the pool). */
  end(): Promise<boolean>;
}

/**
 * Bounds the transaction about to run on `runner` (over `client`) by `deadline` as a whole, for the price of a timer:
 * at the deadline the statement running is cancelled (Postgres aborts the transaction), and none is begun after it
 * but the ROLLBACK, which answers with the 503. A `statement_timeout` from the time left bounds each statement
 * alone: several could each take nearly all of it. A COMMIT under way is let be, as once sent its outcome is the
 * answer (docs/contract.md §2); one not sent by the deadline is not sent.
 */
export function boundByDeadline(runner: QueryRunner, client: Client, deadline: Deadline): DeadlineBound {
  const query = runner.query.bind(runner) as Query;
  let late = false;
  let running: string | undefined;
  let cancelled: Promise<void> | undefined;
  const bounded: Query = async (sql, parameters, structured) => {
    if ((late || deadline.passed) && sql !== 'ROLLBACK') throw orderNotTaken('out of time');
    running = sql;
    try {
      return await query(sql, parameters, structured);
    } finally {
      running = undefined;
    }
  };
  runner.query = bounded as QueryRunner['query'];
  const timer = setTimeout(() => {
    late = true;
    if (running && running !== 'COMMIT') cancelled = cancelStatementOf(client);
  }, deadline.remainingMs);
  return {
    end: async () => {
      clearTimeout(timer);
      if (!cancelled) return false;
      await cancelled;
      return true;
    },
  };
}
