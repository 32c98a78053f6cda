import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** The answer a request with a key got, replayed to every later request with that key. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What a first request with a key left behind: the resource it works on and, once decided, its response. */
export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  resourceId: string;
  response?: StoredResponse;
  /** Its attempt failed and is releasing its hold now (see markKeyReleasing): no request may use its order id. */
  releasing?: boolean;
}

/**
 * How long a key's releasing mark holds: longer than any release (INVENTORY_TIMEOUT_MS is at most 60 s); a mark older
 * than this was left by an instance that died mid-release, and the key's order id is usable again.
 */
const RELEASING_FOR = `interval '2 minutes'`;

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** A request's claim on its key: the key, its request's hash, and the fresh resource id it would use. */
export interface KeyClaimAsked {
  key: string;
  requestHash: string;
  resourceId: string;
}

/**
 * Claims each key for its request, in one statement for any number of requests (keys inserted in key order, so that
 * two claims sharing keys never wait on each other in a cycle). Each gets its own record back when it claimed the key,
 * else the record of the request that claimed it first (one in the same batch, or earlier): racing requests with one
 * key thus work on one resource id, and only one response is ever stored. Undefined for a key freed between the two
 * statements (its first request ended without an answer): asked again, it is claimed afresh.
 */
export async function claimIdempotencyKeys(
  db: EntityManager,
  claims: KeyClaimAsked[],
): Promise<Array<IdempotencyRecord | undefined>> {
  const claimed = (await db.query(
    `INSERT INTO idempotency_keys (key, request_hash, resource_id)
     SELECT DISTINCT ON (key) key, request_hash, resource_id
     FROM unnest($1::varchar[], $2::char(64)[], $3::varchar[]) AS asked(key, request_hash, resource_id)
     ORDER BY key
     ON CONFLICT (key) DO NOTHING
     RETURNING key, request_hash AS "requestHash", resource_id AS "resourceId"`,
    [
      claims.map(({ key }) => key),
      claims.map(({ requestHash }) => requestHash),
      claims.map(({ resourceId }) => resourceId),
    ],
  )) as IdempotencyRecord[];
  const byKey = new Map(claimed.map((record) => [record.key, record]));
  // Read only when a key was claimed before (the usual case, a new key, costs the one statement).
  const earlier = claims.filter(({ key }) => !byKey.has(key)).map(({ key }) => key);
  if (earlier.length)
    for (const record of await readIdempotencyKeys(db, earlier)) byKey.set(record.key, record);
  return claims.map(({ key }) => byKey.get(key));
}

const RECORD_COLUMNS = `key, request_hash, resource_id, response_status, response_body,
  releasing_at > now() - ${RELEASING_FOR} AS releasing`;

interface RecordRow {
  key: string;
  request_hash: string;
  resource_id: string;
  response_status: number | null;
  response_body: unknown;
  releasing: boolean | null;
}

/** Reads a key's record; with `lock`, holds it until the transaction ends so that one response wins. */
export async function readIdempotencyKey(
  db: EntityManager,
  key: string,
  lock: boolean,
): Promise<IdempotencyRecord | null> {
  const [row] = (await db.query(
    `SELECT ${RECORD_COLUMNS} FROM idempotency_keys WHERE key = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [key],
  )) as RecordRow[];
  return row ? toRecord(row) : null;
}

/** The records of those of `keys` that exist, in one statement (see KeyReads). */
export async function readIdempotencyKeys(db: EntityManager, keys: string[]): Promise<IdempotencyRecord[]> {
  const rows = (await db.query(`SELECT ${RECORD_COLUMNS} FROM idempotency_keys WHERE key = ANY($1)`, [
    keys,
  ])) as RecordRow[];
  return rows.map(toRecord);
}

function toRecord(row: RecordRow): IdempotencyRecord {
  return {
    key: row.key,
    requestHash: row.request_hash,
    resourceId: row.resource_id,
    ...(row.response_status ? { response: { status: row.response_status, body: row.response_body } } : {}),
    ...(row.releasing ? { releasing: true } : {}),
  };
}

/** Whether `key` still names `resourceId`: a key freed, or claimed afresh since, names no order of ours. */
export async function keyNames(db: EntityManager, key: string, resourceId: string): Promise<boolean> {
  const rows = (await db.query('SELECT 1 FROM idempotency_keys WHERE key = $1 AND resource_id = $2', [
    key,
    resourceId,
  ])) as unknown[];
  return rows.length > 0;
}

/**
 * Marks a key whose request failed as releasing its hold, in one short statement (no transaction is held across the
 * release), unless a racing request with the key answered or is releasing already. True when this call marked it.
 */
export async function markKeyReleasing(db: EntityManager, key: string, resourceId: string): Promise<boolean> {
  const [marked] = (await db.query(
    `UPDATE idempotency_keys SET releasing_at = now()
     WHERE key = $1 AND resource_id = $2 AND response_status IS NULL
       AND (releasing_at IS NULL OR releasing_at <= now() - ${RELEASING_FOR})
     RETURNING key`,
    [key, resourceId],
  )) as [unknown[], number];
  return marked.length > 0;
}

/**
 * The hold reconciliation's markKeyReleasing, by order id: marks each key that names one of `resourceIds` and has
 * no answer nor another's mark, and tells which of them a key answered meanwhile (its order was recorded) and which
 * another is releasing now (a failed request's giveUp: its hold is left to it). Three statements: the later ones see
 * an answer committed by a transaction the first waited for. A scan of the keys (no index on resource_id, which every
 * keyed order would pay for): made only for holds found without an order.
 */
export async function markKeysReleasingOf(
  db: EntityManager,
  resourceIds: string[],
): Promise<{ marked: Map<string, string>; answered: Set<string>; releasing: Set<string> }> {
  const [marked] = (await db.query(
    `UPDATE idempotency_keys SET releasing_at = now() WHERE resource_id = ANY($1) AND response_status IS NULL
       AND (releasing_at IS NULL OR releasing_at <= now() - ${RELEASING_FOR})
     RETURNING key, resource_id`,
    [resourceIds],
  )) as [Array<{ key: string; resource_id: string }>, number];
  const others = (await db.query(
    `SELECT resource_id, response_status IS NOT NULL AS answered FROM idempotency_keys
     WHERE resource_id = ANY($1) AND NOT (resource_id = ANY($2))`,
    [resourceIds, marked.map((row) => row.resource_id)],
  )) as Array<{ resource_id: string; answered: boolean }>;
  return {
    marked: new Map(marked.map((row) => [row.resource_id, row.key])),
    answered: new Set(others.filter((row) => row.answered).map((row) => row.resource_id)),
    releasing: new Set(others.filter((row) => !row.answered).map((row) => row.resource_id)),
  };
}

/** The release failed: the key keeps its order id, usable again by a retry (which takes the hold it has). */
export async function unmarkKeyReleasing(db: EntityManager, key: string, resourceId: string): Promise<void> {
  await db.query('UPDATE idempotency_keys SET releasing_at = NULL WHERE key = $1 AND resource_id = $2', [
    key,
    resourceId,
  ]);
}

/**
 * The records of those of `keys` that exist, each held until the transaction ends so that one response wins; locked in
 * key order, so that two transactions sharing keys never wait on each other in a cycle.
 */
export async function lockIdempotencyKeys(
  tx: EntityManager,
  keys: string[],
): Promise<Map<string, IdempotencyRecord>> {
  if (keys.length === 0) return new Map();
  const rows = (await tx.query(
    `SELECT ${RECORD_COLUMNS} FROM idempotency_keys WHERE key = ANY($1) ORDER BY key FOR UPDATE`,
    [keys],
  )) as RecordRow[];
  return new Map(rows.map((row) => [row.key, toRecord(row)]));
}

/** Stores each key's response, in one statement; the caller holds the keys' locks and saw no response on them. */
export async function storeIdempotentResponses(
  tx: EntityManager,
  responses: Array<{ key: string; response: StoredResponse }>,
): Promise<void> {
  if (responses.length === 0) return;
  await tx.query(
    `UPDATE idempotency_keys k SET response_status = r.status, response_body = r.body
     FROM unnest($1::varchar[], $2::int[], $3::jsonb[]) AS r(key, status, body)
     WHERE k.key = r.key AND k.response_status IS NULL`,
    [
      responses.map(({ key }) => key),
      responses.map(({ response }) => response.status),
      responses.map(({ response }) => JSON.stringify(response.body)),
    ],
  );
}

/**
 * Lets a key be claimed afresh when its request ended without a response worth replaying (a 503, or a refusal before
 * any hold), unless a racing request with the key answered meanwhile. True when this call freed it.
 */
export async function forgetIdempotencyKey(
  db: EntityManager,
  key: string,
  resourceId: string,
): Promise<boolean> {
  // TypeORM answers a DELETE with [rows, count].
  const [, count] = (await db.query(
    'DELETE FROM idempotency_keys WHERE key = $1 AND resource_id = $2 AND response_status IS NULL',
    [key, resourceId],
  )) as [unknown[], number];
  return count > 0;
}
