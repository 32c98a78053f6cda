// Owned by order (its waiting room writes these keys); published here for the tools that will read a room (the
// monitor, chaos) without reaching into order's folders. A change of layout is a change of contract.
// All keys of one sale's room share the hash tag {eventId}, so every script touches one Redis Cluster slot. They sit
// under `<prefix>:room:`, not `<prefix>:{`, so that inventory's drop of its own gate (`<prefix>:{*`) leaves them be.
export interface RoomKeys {
  /**
   * Hash: epoch, rate, until (the pre-queue's end, ms), next (the last position given), serving, servedAt (µs), gen
   * (the pre-queue's number), `base:<gen>` (the position before a placed pre-queue's first), run (0: the next move
   * starts a run of `served`), auto ('1': the rate is the auto controller's), prunedTo and prunedAt (positions up to
   * prunedTo were served before prunedAt, µs: their runs were pruned).
   */
  state: string;
  /** Hash: buyer → their entry id. */
  buyers: string;
  /**
   * Hash: `<entryId>:buyer`, `<entryId>:position` (not for a pre-queue's entry: its rank in `prequeue` gives it),
   * `<entryId>:gen` (a pre-queue's entry), `<entryId>:jti`, `<entryId>:exp` (ms).
   */
  entries: string;
  /**
   * Sorted set: every pre-queue's entry ids, scored `gen * 2^40 + a random draw`: placed in score order at the
   * pre-queue's end, and kept (the rank is the position).
   */
  prequeue: string;
  /**
   * Sorted set: where each run of the serving counter (between the room empty, or a new rate, and the next) started,
   * scored by its first serving value, `<serving>:<servedAt µs>:<rate>`: when any position was served. Runs whose next
   * one started longer ago than an admission lasts are pruned.
   */
  served: string;
}

/** String, beside the rooms (no sale's hash tag): which order instance drives the auto rooms' rate, and until when. */
export function rateLeaseKey(prefix: string): string {
  return `${prefix}:room-rate:lease`;
}

export function roomKeys(prefix: string, eventId: string): RoomKeys {
  const base = `${prefix}:room:{${eventId}}`;
  return {
    state: `${base}:state`,
    buyers: `${base}:buyers`,
    entries: `${base}:entries`,
    prequeue: `${base}:prequeue`,
    served: `${base}:served`,
  };
}

/** String: an admission token's spent record (the Idempotency-Key of the order that spent it), until 5 min past its exp. */
export function spentKey(prefix: string, eventId: string, jti: string): string {
  return `${prefix}:room:{${eventId}}:spent:${jti}`;
}

/** Every key of every room under `prefix`, for a SCAN MATCH. */
export function roomKeysPattern(prefix: string): string {
  return `${prefix}:room:{*`;
}
