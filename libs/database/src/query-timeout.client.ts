import { Client } from 'pg';

/** What pg rejects a query with once it ran past `query_timeout`. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

type Query = (...args: unknown[]) => unknown;

/**
 * The pool's pg Client, ending its connection when a query runs past `query_timeout`. pg alone only stops
 * waiting: the abandoned query stays on the connection and so does its transaction (the ROLLBACK sent after
 * it waits behind it and is dropped in turn), so the pool would hand the next caller a connection inside that
 * transaction, whose COMMIT would commit the abandoned work too. Ended, the connection leaves the pool and the
 * server rolls the transaction back.
 */
export class QueryTimeoutClient extends Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every one of pg's overloads passes through
  override query(...args: any[]): any {
    const query = super.query.bind(this) as Query;
    const callback: unknown = args.at(-1);
    if (typeof callback === 'function') {
      return query(...args.slice(0, -1), (error: unknown, result: unknown) => {
        this.endIfTimedOut(error);
        (callback as (error: unknown, result: unknown) => void)(error, result);
      });
    }
    const result = query(...args);
    // Registered before the caller's own handlers, so that the connection is ending before they roll back.
    if (result instanceof Promise) result.catch((error: unknown) => this.endIfTimedOut(error));
    return result;
  }

  private endIfTimedOut(error: unknown): void {
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) {
      this.end().catch(() => undefined);
    }
  }
}
