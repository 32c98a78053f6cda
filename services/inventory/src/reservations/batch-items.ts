import { Logger } from '@nestjs/common';
import { ERROR_STATUS } from '@boxoffice/contracts/errors/error-codes';
import type { BatchItemResult } from '@boxoffice/contracts/inventory/reservation-batch.dto';
import type { ReservationView } from '@boxoffice/contracts/inventory/reservation.dto';
import { toErrorBody } from '@boxoffice/http/problem.filter';

/** One item's answer inside a batch: the reservation, or the error the single call would have thrown. */
export type ItemOutcome = ReservationView | Error;

const logger = new Logger('reservation-batches');

/**
 * Runs a batch in rounds of distinct keys (order ids): the k-th item of a key goes in round k, so a key repeated in
 * one batch is answered as the same call repeated after the first would be. Most batches are one round.
 */
export async function inRounds<T>(
  items: T[],
  key: (item: T) => string,
  run: (round: T[]) => Promise<ItemOutcome[]>,
): Promise<ItemOutcome[]> {
  const seen = new Map<string, number>();
  const rounds: number[][] = [];
  items.forEach((item, i) => {
    const round = seen.get(key(item)) ?? 0;
    seen.set(key(item), round + 1);
    (rounds[round] ??= []).push(i);
  });
  const outcomes: ItemOutcome[] = new Array<ItemOutcome>(items.length);
  for (const round of rounds) {
    const answers = await run(round.map((i) => items[i]));
    round.forEach((i, k) => (outcomes[i] = answers[k]));
  }
  return outcomes;
}

/** Runs one item's part alone, its failure its own outcome. */
export async function settled(work: () => Promise<ReservationView>): Promise<ItemOutcome> {
  try {
    return await work();
  } catch (error) {
    return asError(error);
  }
}

/** The item's result as the single call would have answered it: `okStatus` and the reservation, or its error. */
export function toResult(outcome: ItemOutcome, okStatus: number): BatchItemResult {
  if (!(outcome instanceof Error)) return { status: okStatus, reservation: outcome };
  const error = toErrorBody(outcome);
  const status = ERROR_STATUS[error.code];
  if (status >= 500) logger.warn(`batch item answered ${status} ${error.code}: ${outcome.message}`);
  return { status, error };
}

/** The items' indexes by a key (a sale), in the items' order. */
export function indexesBy<T>(items: T[], key: (item: T) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => groups.set(key(item), [...(groups.get(key(item)) ?? []), i]));
  return groups;
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
