/** A card processor, behind an adapter. Both calls are idempotent by `idempotencyKey`, as real processors are. */
export abstract class PaymentGateway {
  abstract charge(request: ChargeRequest): Promise<GatewayOutcome>;
  abstract refund(request: RefundRequest): Promise<GatewayOutcome>;
  /** Charges made between `withinSeconds` and `olderThanSeconds` ago, as a processor's list of charges gives them. */
  abstract chargesMade(olderThanSeconds: number, withinSeconds: number): Promise<MadeCharge[]>;
  /** The processor's record of the charges made under these idempotency keys (none for a key never charged). */
  abstract chargesOf(idempotencyKeys: string[]): Promise<MadeCharge[]>;
}

export interface MadeCharge extends GatewayOutcome {
  idempotencyKey: string;
  amount: number;
  currency: string;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amount: number;
  currency: string;
  paymentToken: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  chargeReference: string;
  amount: number;
  currency: string;
}

export interface GatewayOutcome {
  succeeded: boolean;
  /** The processor's id of the charge or refund. */
  reference: string;
  /** Why it failed: `card_declined`, `insufficient_funds`, ... */
  reason?: string;
}
