import type { DataSource, EntityManager } from 'typeorm';

/** A relay of this process, known by the pool it relays from. */
export interface InProcessRelay {
  /** Whether a commit that adds rows NOTIFYs the relays of every instance (`OUTBOX_NOTIFY`). */
  readonly notifies: boolean;
}

const relaysOf = new WeakMap<DataSource, Set<InProcessRelay>>();

/** Makes `relay` known to the writes on `db`'s pool; returns what forgets it again (the relay stopped). */
export function relayInProcess(db: DataSource, relay: InProcessRelay): () => void {
  let relays = relaysOf.get(db);
  if (!relays) relaysOf.set(db, (relays = new Set()));
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
