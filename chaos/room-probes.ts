import { eventually } from '@boxoffice/testing/eventually';
import type { Violation, ViolationCode } from '../ops/audit/find-violations';
import type { ChaosStack } from './chaos-stack';
import type { RoomBuyersTally } from './room-buyers-tally';
import type { ScenarioSale } from './scenario';

/** The answers the room's probes expect, as `Probe.got` spells them. */
export const ROOM_ANSWERS = {
  refused: '429 WAITING_ROOM',
  closed: '503 WAITING_ROOM_CLOSED',
  unauthenticated: '401 UNAUTHENTICATED',
};

/** A room scenario's run: shared by its sale, its fault and its checks (a scenario runs once per `npm run chaos`). */
export interface RoomRun {
  stack: ChaosStack;
  eventId: string;
  tally: RoomBuyersTally;
  probes: Probes;
}

/** One request a scenario makes on purpose (an attack, a look at a closed room) and the answer the contract gives. */
export interface Probe {
  what: string;
  /** Answers the contract allows, `<status> <code>` (e.g. `429 WAITING_ROOM`). */
  expected: string[];
  got: string;
  /** The order id when it was answered 202. */
  orderId: string | null;
  /** The Idempotency-Key it was sent with, if any: nothing may be kept under it unless answered 202. */
  key: string | null;
  /** The order kept before under its key for this very request, which it is to be answered again: nothing new. */
  replayOf: string | null;
}

export interface ProbeRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What a scenario's probes found: each as the contract says, or a violation. */
export class Probes {
  readonly list: Probe[] = [];

  /** `accepted`: the sale's orders answered 202 to a client, which a probe answered 202 joins. */
  constructor(
    private readonly baseUrl: string,
    private readonly accepted: Set<string>,
  ) {}

  async send(what: string, request: ProbeRequest, ...expected: string[]): Promise<Probe> {
    const headers: Record<string, string> = {
      ...(request.body !== undefined && { 'content-type': 'application/json' }),
      ...request.headers,
    };
    let got = 'lost';
    let orderId: string | null = null;
    try {
      const response = await fetch(`${this.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      const body = (text ? JSON.parse(text) : {}) as { code?: string; orderId?: string; admitted?: boolean };
      got = `${response.status} ${body.code ?? (body.admitted ? 'admitted' : '')}`.trim();
      if (response.status === 202 && body.orderId) this.accepted.add((orderId = body.orderId));
    } catch {
      // lost: never what the contract answers
    }
    const probe: Probe = {
      what,
      expected,
      got,
      orderId,
      key: headers['idempotency-key'] ?? null,
      replayOf: null,
    };
    this.list.push(probe);
    return probe;
  }

  /**
   * A request asked again under the Idempotency-Key of the order `orderId` kept for it: answered that order's 202,
   * whatever its admission token has become (contract §2, _Admission tokens_: a kept order is always answered again).
   */
  async sendAgain(what: string, request: ProbeRequest, orderId: string): Promise<Probe> {
    const probe: Probe = await this.send(what, request, '202');
    probe.replayOf = orderId;
    if (probe.orderId !== orderId) probe.got = `${probe.got} for ${probe.orderId}, not ${orderId}`;
    return probe;
  }

  /** Those answered 202 with an order other than the one they were to be answered again: kept for a probe. */
  keptFor(): Probe[] {
    return this.list.filter((probe) => probe.orderId && probe.orderId !== probe.replayOf);
  }

  /** Those not answered as the contract says. */
  violations(code: ViolationCode, where: string): Violation[] {
    const wrong = this.list.filter((probe) => !probe.expected.includes(probe.got));
    if (!wrong.length) return [];
    const shown = wrong
      .slice(0, 8)
      .map((p) => `${p.what}: ${p.got}, not ${p.expected.join(' or ')}`)
      .join('; ');
    return [{ code, where, detail: `${wrong.length} of ${this.list.length}: ${shown}` }];
  }

  /** How many were answered each way, for the log. */
  summary(): string {
    const counts: Record<string, number> = {};
    for (const probe of this.list) counts[probe.got] = (counts[probe.got] ?? 0) + 1;
    return `${this.list.length} probes: ${JSON.stringify(counts)}`;
  }
}

/** A room scenario's sale for the runner: its buyers, the fault after `faultAfter`, its checks after a line of figures. */
export function roomSale(
  name: string,
  run: RoomRun,
  done: Promise<RoomBuyersTally>,
  faultAfter: number,
  log: (line: string) => void,
  verify: () => Promise<Violation[]>,
): ScenarioSale {
  return {
    tally: run.tally,
    done,
    faultAfter,
    verify() {
      log(`${name}: ${run.probes.summary()}; buyers' answers ${JSON.stringify(run.tally.answers)}`);
      return verify();
    },
  };
}

/**
 * A buyer of the scenario's own queues in the sale's room and waits for its turn: its admission token. `identity`:
 * its buyer token's header, or none; `body`: `{}` with a buyer token, `{ userId }` without.
 */
export async function admittedToken(
  orderUrl: string,
  eventId: string,
  identity: Record<string, string>,
  body: object,
): Promise<string> {
  const room = `${orderUrl}/events/${eventId}/waiting-room/entries`;
  const entered = await fetch(room, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...identity },
    body: JSON.stringify(body),
  });
  const { entryId } = (await entered.json()) as { entryId: string };
  return eventually(
    async () => {
      const look = await fetch(`${room}/${entryId}`, { headers: identity });
      return ((await look.json()) as { admissionToken?: string }).admissionToken;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: `admitted to ${eventId}` },
  );
}
