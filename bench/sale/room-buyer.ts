import { performance } from 'node:perf_hooks';
import { pollDelayMs } from '@boxoffice/contracts/order/room-polling';
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
}

export function newRoomRecord(): RoomRecord {
  return { entered: 0, admitted: 0, polls: 0, waitsMs: [], failures: {} };
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

interface EntryAnswer {
  entryId: string;
  pollAfterSeconds?: number;
  admitted?: boolean;
  admissionToken?: string;
  expired?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Buyer `index` through the room: enters, asks again after each pollAfterSeconds until admitted (queues again if its
 * admission expired), then orders with its admission token. Its status is the order's, or the room's that ended it.
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
    if (response.statusCode >= 300) await response.body.dump();
    const answer = response.statusCode < 300 ? ((await response.body.json()) as EntryAnswer) : null;
    return { status: response.statusCode, answer };
  };
  const failed = (kind: string, status: number) => {
    record.failures[`${kind} ${status}`] = (record.failures[`${kind} ${status}`] ?? 0) + 1;
    return { status };
  };
  return async (index) => {
    const userId = userOf(options, index);
    const arrived = performance.now();
    try {
      let { status, answer } = await ask('POST', entries, { userId });
      if (!answer) return failed('entry', status);
      record.entered++;
      while (!answer.admitted) {
        if (answer.expired) ({ status, answer } = await ask('POST', entries, { userId }));
        else {
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
