import type { BuyersTally } from './buyers';

/** One admission a buyer was given, as the client saw it. */
export interface SeenAdmission {
  userId: string;
  entryId: string;
  /** The entry's position as last seen before it was admitted (null: never seen waiting). */
  position: number | null;
  token: string;
  jti: string;
  epoch: string;
  expiresAt: string;
  /** When the client read it (ms). */
  at: number;
}

/** One POST /orders of a buyer and its answer. */
export interface SeenPurchase {
  userId: string;
  key: string;
  /** The request's body as sent (JSON): the buyer's own request again is this body under `key`. */
  body: string;
  jti: string;
  epoch: string;
  sentAt: number;
  answeredAt: number;
  /** 0: no answer (lost). */
  status: number;
  code: string | null;
  orderId: string | null;
}

/** One answer of the room (entries, looks) with when it was asked: what the buyers were told, in time. */
export interface SeenRoomAnswer {
  route: 'enter' | 'look';
  userId: string;
  sentAt: number;
  answeredAt: number;
  status: number;
  code: string | null;
  /** Its turn came: admitted with a token (look), or its place served (enter, `pollAfterSeconds` 0). */
  admitted: boolean;
  /** A waiting entry answered `soldOut: true` (contract §2, _The room follows its sale's stock_). */
  soldOut: boolean;
  /** An entry whose admission expired (`expired: true`). */
  expired: boolean;
}

/** A buyer the room told the sale is sold out, who stopped there: as it arrived (409 SOLD_OUT) or waiting. */
export interface SeenSoldOut {
  userId: string;
  route: 'enter' | 'look';
  /** When the answer came (ms). */
  at: number;
}

/** What one buyer saw of their entries. */
export interface SeenEntry {
  /** Every distinct entry id the buyer was given, in order. */
  entryIds: string[];
  /** 201 answers (a new entry). */
  created: number;
  /** The position each entry id was seen at, first sighting; a later sighting elsewhere is an anomaly. */
  positions: Map<string, number>;
}

/** What the room's buyers saw; `sent` counts arrivals, `accepted` the orders answered 202. */
export interface RoomBuyersTally extends BuyersTally {
  /** Arrivals answered with an entry (201 or 200). */
  queued: number;
  entries: Map<string, SeenEntry>;
  admissions: SeenAdmission[];
  purchases: SeenPurchase[];
  /** Every answer of the room, with when it was asked and answered. */
  roomAnswers: SeenRoomAnswer[];
  /** The buyers told the sale is sold out (each stopped there). */
  toldSoldOut: SeenSoldOut[];
  /** Every answer by `<route> <status> <code>`, for the log. */
  answers: Record<string, number>;
  /** What the client saw that the room never may: a position that moved, an admitted entry seen waiting again. */
  anomalies: string[];
}

/** An empty tally, for a run's buyers to fill. */
export function newRoomTally(): RoomBuyersTally {
  return {
    sent: 0,
    accepted: new Set(),
    refused: {},
    unavailable: 0,
    lost: 0,
    queued: 0,
    entries: new Map(),
    admissions: [],
    purchases: [],
    roomAnswers: [],
    toldSoldOut: [],
    answers: {},
    anomalies: [],
  };
}

/** What `userId` saw of their entries so far. */
export function seenEntry(tally: RoomBuyersTally, userId: string): SeenEntry {
  let entry = tally.entries.get(userId);
  if (!entry) tally.entries.set(userId, (entry = { entryIds: [], created: 0, positions: new Map() }));
  return entry;
}

/**
 * Files the final answer of the room to a buyer's request (`status` 0: lost); a position moved, or an admitted entry
 * (one of `admittedBefore`, which it adds to) waiting again, is an anomaly.
 */
export function noteRoomAnswer(
  tally: RoomBuyersTally,
  userId: string,
  status: number,
  body: Record<string, unknown>,
  admittedBefore: Set<string>,
): void {
  const admitted = body.admitted === true;
  const ordinary = (status === 200 || status === 201) && body.expired !== true;
  if (!ordinary || typeof body.entryId !== 'string') return;
  const entry = seenEntry(tally, userId);
  const entryId = body.entryId;
  if (!entry.entryIds.includes(entryId)) entry.entryIds.push(entryId);
  if (status === 201) entry.created++;
  if (admitted) return void admittedBefore.add(entryId);
  if (admittedBefore.has(entryId)) tally.anomalies.push(`${userId}: entry ${entryId} admitted, then waiting`);
  if (typeof body.position !== 'number') return;
  const first = entry.positions.get(entryId);
  if (first === undefined) entry.positions.set(entryId, body.position);
  else if (first !== body.position)
    tally.anomalies.push(`${userId}: entry ${entryId} at ${first}, then at ${body.position}`);
}
