import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/** A relay of this process, known by the pool it relays from: the writes on that pool wake it once committed. */
export interface InProcessRelay {
  /** Whether a commit that adds rows NOTIFYs the relays of every instance (`OUTBOX_NOTIFY`). */
  readonly notifies: boolean;
  wake(): void;
}

const relaysOf = new WeakMap<DataSource, Set<InProcessRelay>>();
/** Transactions that added outbox rows, until they end. */
const adding = new WeakSet<QueryRunner>();

/** Wakes the pool's relays when a transaction that added rows commits (a savepoint's release is no commit). */
const WAKE_AFTER_COMMIT: EntitySubscriberInterface = {
  afterTransactionCommit: ({ queryRunner }) => {
    if (!queryRunner.isTransactionActive && adding.delete(queryRunner)) wakeRelaysOf(queryRunner.dataSource);
  },
  afterTransactionRollback: ({ queryRunner }) => {
    if (!queryRunner.isTransactionActive) adding.delete(queryRunner);
  },
};

/** Makes `relay` known to the writes on `db`'s pool; returns what forgets it again (the relay stopped). */
export function relayInProcess(db: DataSource, relay: InProcessRelay): () => void {
  let relays = relaysOf.get(db);
  if (!relays) {
    relaysOf.set(db, (relays = new Set()));
    db.subscribers.push(WAKE_AFTER_COMMIT);
  }
  relays.add(relay);
  return () => relays.delete(relay);
}

/**
 * Whether rows added on `tx` NOTIFY the relays: unless this pool's relays all have it off. A pool without a relay
 * (a script, another instance in a test) notifies: the relays that read its rows are elsewhere.
 */
export function notifiesRelays(tx: EntityManager): boolean {
  const relays = relaysOf.get(tx.dataSource);
  return !relays?.size || [...relays].some((relay) => relay.notifies);
}

/**
 * After `tx` added rows: wakes its pool's relays once the rows are visible to them, when its transaction commits
 * (never on a rollback), or now when it is in none. Before the commit a relay would find nothing and sleep a poll.
 */
export function wakeOnCommit(tx: EntityManager): void {
  const runner = tx.queryRunner;
  if (runner?.isTransactionActive) adding.add(runner);
  else wakeRelaysOf(tx.dataSource);
}

/**
 * Wakes `db`'s relays now, after a commit on it that its subscribers never saw: one whose answer was lost, yet which
 * Postgres kept (found by reading it back). Without `OUTBOX_NOTIFY` nothing else wakes them before their next poll.
 */
export function wakeRelaysOf(db: DataSource): void {
  for (const relay of relaysOf.get(db) ?? []) relay.wake();
}
