import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { outageNow, outcomeOf, processorUnavailable, type RecordedCall } from './gateway-outage';
import { ChargeRequest, GatewayOutcome, MadeCharge, PaymentGateway, RefundRequest } from './payment-gateway';

/** Test tokens as a card processor's sandbox knows them (docs/contract.md §4). */
const TOKEN_OUTCOMES: Record<string, string | null> = {
  tok_visa: null,
  tok_mastercard: null,
  tok_chargeDeclined: 'card_declined',
  tok_insufficientFunds: 'insufficient_funds',
  tok_refundRefused: null,
};

/** Tokens whose charges succeed but whose refunds the processor refuses, with this reason, for as long as it holds. */
const REFUND_REFUSALS: Record<string, string> = { tok_refundRefused: 'refund_refused' };

interface ChargeRow {
  idempotency_key: string;
  succeeded: boolean;
  reference: string;
  reason: string | null;
  amount: string;
  currency: string | null;
}

export interface SimulatedGatewayOptions {
  latencyMs: number;
  /** Share of otherwise good charges declined at random, 0 to 1. */
  declineRate: number;
  /** How long the client waits for an answer that does not come, during an outage. */
  timeoutMs: number;
}

/**
 * The built-in processor: latency and random declines are settings. It remembers every call by idempotency key
 * in its own table (`gateway_calls`), as a real processor would on its side, so a retried charge is never charged
 * twice and tests can count what the processor really did. During an outage (a row in `gateway_outages`) it
 * refuses calls or does them without answering in time, both as `UNAVAILABLE`: the caller tries again, same key.
 * The refunds of a charge made with a token of REFUND_REFUSALS are refused, as long as its record holds that token.
 */
export class SimulatedGateway implements PaymentGateway {
  constructor(
    private readonly db: DataSource,
    private readonly options: SimulatedGatewayOptions,
  ) {}

  charge(request: ChargeRequest): Promise<GatewayOutcome> {
    return this.once('charge', request.idempotencyKey, request, request.paymentToken, () => {
      const declined = TOKEN_OUTCOMES[request.paymentToken];
      if (declined === undefined) return 'invalid_payment_token';
      if (declined) return declined;
      return Math.random() < this.options.declineRate ? 'card_declined' : null;
    });
  }

  async refund(request: RefundRequest): Promise<GatewayOutcome> {
    // A refusal is not remembered under the key: the refund asked again is answered afresh.
    const [charge]: { payment_token: string | null }[] = await this.db.query(
      `SELECT payment_token FROM gateway_calls WHERE reference = $1 AND kind = 'charge'`,
      [request.chargeReference],
    );
    const refusal = REFUND_REFUSALS[charge?.payment_token ?? ''];
    if (refusal && !(await this.recall(request.idempotencyKey))) {
      return { succeeded: false, reference: '', reason: refusal };
    }
    return this.once('refund', request.idempotencyKey, request, null, () => null);
  }

  async chargesMade(olderThanSeconds: number, withinSeconds: number): Promise<MadeCharge[]> {
    const rows: ChargeRow[] = await this.db.query(
      `SELECT idempotency_key, succeeded, reference, reason, amount, currency FROM gateway_calls
       WHERE kind = 'charge' AND created_at < now() - make_interval(secs => $1)
         AND created_at >= now() - make_interval(secs => $2)
       ORDER BY created_at`,
      [olderThanSeconds, withinSeconds],
    );
    return madeCharges(rows);
  }

  async chargesOf(idempotencyKeys: string[]): Promise<MadeCharge[]> {
    const rows: ChargeRow[] = await this.db.query(
      `SELECT idempotency_key, succeeded, reference, reason, amount, currency FROM gateway_calls
       WHERE idempotency_key = ANY($1) AND kind = 'charge'`,
      [idempotencyKeys],
    );
    return madeCharges(rows);
  }

  private async once(
    kind: 'charge' | 'refund',
    key: string,
    { amount, currency }: { amount: number; currency: string },
    paymentToken: string | null,
    decline: () => string | null,
  ): Promise<GatewayOutcome> {
    const { errorRate, timeoutRate, known } = await outageNow(this.db, key);
    const luck = Math.random();
    if (luck < errorRate) throw processorUnavailable(kind, key, 'refused the call (outage)');
    if (known) return this.answer(known, luck < errorRate + timeoutRate, kind, key);
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    const reason = decline();
    const [made]: RecordedCall[] = await this.db.query(
      `INSERT INTO gateway_calls (idempotency_key, kind, succeeded, reference, reason, amount, currency, payment_token)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING succeeded, reference, reason`,
      [
        key,
        kind,
        reason === null,
        `${kind === 'charge' ? 'ch' : 're'}_${randomUUID()}`,
        reason,
        amount,
        currency,
        paymentToken,
      ],
    );
    // Made by a concurrent call with the same key: its outcome is the answer.
    const outcome = outcomeOf(made) ?? (await this.recall(key))!;
    return this.answer(outcome, luck < errorRate + timeoutRate, kind, key);
  }

  /** The outcome, or, when the answer is lost, a timeout after the work was done. */
  private async answer(
    outcome: GatewayOutcome,
    lost: boolean,
    kind: string,
    key: string,
  ): Promise<GatewayOutcome> {
    if (!lost) return outcome;
    await sleep(this.options.timeoutMs);
    throw processorUnavailable(kind, key, `did not answer within ${this.options.timeoutMs} ms (outage)`);
  }

  private async recall(key: string): Promise<GatewayOutcome | null> {
    const [row]: RecordedCall[] = await this.db.query(
      'SELECT succeeded, reference, reason FROM gateway_calls WHERE idempotency_key = $1',
      [key],
    );
    return outcomeOf(row);
  }
}

/** The processor's records of charges as its list gives them; calls from before it kept the currency are left out. */
function madeCharges(rows: ChargeRow[]): MadeCharge[] {
  return rows.flatMap((row) =>
    row.currency
      ? [
          {
            idempotencyKey: row.idempotency_key,
            succeeded: row.succeeded,
            reference: row.reference,
            ...(row.reason ? { reason: row.reason } : {}),
            amount: Number(row.amount),
            currency: row.currency,
          },
        ]
      : [],
  );
}
