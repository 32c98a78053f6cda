import { performance } from 'node:perf_hooks';
import { pollDelayMs } from '@boxoffice/contracts/order/room-polling';
import { latencyFigures, type LatencyFigures } from './latency-record';
import type { Pool } from 'undici';
import type { Buy } from './buyer-drivers';
import { userOf, type Order } from './sale-requests';
import type { SaleOptions } from './sale-options';

/** A sale's waiting room as `npm run sale` and the bench set it: a rate ("auto" passed as it is) and a pre-queue. */
export interface RoomSettings {
  admitPerSecond: number | 'auto';
  /** Arrivals in the first seconds after the room opens are shuffled (preQueueUntil); null: none. */
  preQueueSeconds: number | null;
}

/** What the buyers went through in the room, filled in as they go. */
export interface RoomRecord {
  entered: number;
  admitted: number;
  polls: number;
  /** From a buyer's arrival (its first POST .../entries) to the answer that admitted it, ms. */
  waitsMs: number[];
  /** Room answers that were not the journey's ("entry 503", "poll 404"), by kind: each ended a buyer. */
  failures: Record<string, number>;
  /**
   * Buyers the room told the sale is sold out (contract §2, _The room follows its sale's stock_): a waiting entry
   * answered `soldOut: true`, or `POST .../entries` answered 409 SOLD_OUT. Each stopped there, ordering nothing.
   */
  toldSoldOut: number;
  /** When each buyer that was waiting (its entry's turn not come) was told, Date.now(): against the sell-out. */
  toldSoldOutWaitingAtMs: number[];
}

export function newRoomRecord(): RoomRecord {
  return {
    entered: 0,
    admitted: 0,
    polls: 0,
    waitsMs: [],
    failures: {},
    toldSoldOut: 0,
    toldSoldOutWaitingAtMs: [],
  };
}

/** PUT /events/{eventId}/waiting-room on order with the operator's token: the room on; its answer when refused. */
export async function openRoom(
  stack: { serviceUrls: { order: string }; adminToken: string },
  eventId: string,
  room: RoomSettings,
): Promise<void> {
  const url = `${stack.serviceUrls.order}/events/${eventId}/waiting-room`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: JSON.stringify({
      enabled: true,
      admitPerSecond: room.admitPerSecond,
      ...(room.preQueueSeconds !== null && {
        preQueueUntil: new Date(Date.now() + room.preQueueSeconds * 1000).toISOString(),
      }),
    }),
  }).catch((error: Error) => {
    throw new Error(`order at ${stack.serviceUrls.order} does not answer: ${error.message}`);
  });
  if (response.status !== 200)
    throw new Error(
      `PUT /events/${eventId}/waiting-room answered ${response.status}: ${await response.text()}`,
    );
}

/**
 * How long after the sell-out (`soldOutAtEpochMs`: the sale's last order CONFIRMED, Postgres's clock on the same
 * machine) each buyer that was waiting then was told, ms; null when nobody waiting was told or the sale did not sell
 * out. A buyer asks again only after its pollAfterSeconds (up to 30 s), so this is mostly the room's polling delay.
 */
export function toldAfterSellOutMs(
  record: RoomRecord,
  soldOutAtEpochMs: number | null,
): LatencyFigures | null {
  if (soldOutAtEpochMs === null) return null;
  return latencyFigures(record.toldSoldOutWaitingAtMs.map((at) => at - soldOutAtEpochMs));
}

interface EntryAnswer {
  entryId: string;
  pollAfterSeconds?: number;
  admitted?: boolean;
  admissionToken?: string;
  expired?: boolean;
  soldOut?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Buyer `index` through the room: enters, asks again after each pollAfterSeconds until admitted (queues again if its
 * admission expired), then orders with its admission token. Its status is the order's, or the room's that ended it;
 * told the sale is sold out (entering, or waiting), it stops and orders nothing.
 */
export function roomBuyerOf(
  pool: Pool,
  options: Pick<SaleOptions, 'eventId' | 'users'>,
  order: Order,
  record: RoomRecord,
): Buy {
  const entries = `/events/${options.eventId}/waiting-room/entries`;
  const ask = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await pool.request({
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const read = (await response.body.json().catch(() => null)) as (EntryAnswer & { code?: string }) | null;
    const answer = response.statusCode < 300 ? read : null;
    return {
      status: response.statusCode,
      answer,
      soldOut: response.statusCode === 409 && read?.code === 'SOLD_OUT',
    };
  };
  const failed = (kind: string, status: number) => {
    record.failures[`${kind} ${status}`] = (record.failures[`${kind} ${status}`] ?? 0) + 1;
    return { status };
  };
  /** `waiting`: its entry's turn had not come (its time to be told counts against the sell-out). */
  const toldSoldOut = (waiting: boolean) => {
    record.toldSoldOut++;
    if (waiting) record.toldSoldOutWaitingAtMs.push(Date.now());
    return { status: 409, toldSoldOut: true };
  };
  return async (index) => {
    const userId = userOf(options, index);
    const arrived = performance.now();
    try {
      let { status, answer, soldOut } = await ask('POST', entries, { userId });
      if (soldOut) return toldSoldOut(false);
      if (!answer) return failed('entry', status);
      record.entered++;
      while (!answer.admitted) {
        if (answer.soldOut) return toldSoldOut(true);
        if (answer.expired) {
          ({ status, answer, soldOut } = await ask('POST', entries, { userId }));
          if (soldOut) return toldSoldOut(false);
        } else {
          await sleep(pollDelayMs(answer.pollAfterSeconds));
          record.polls++;
          ({ status, answer } = await ask('GET', `${entries}/${answer.entryId}`));
        }
        if (!answer) return failed('poll', status);
      }
      const admittedAt = performance.now();
      record.admitted++;
      record.waitsMs.push(admittedAt - arrived);
      return { ...(await order(index, answer.admissionToken)), admittedAt };
    } catch {
      return { status: 0 };
    }
  };
}
