/**
 * A refund the card processor refused (not an outage: it answered, and said no). Classified once, as a bug
 * (libs/messaging failure-class.ts): retried up to its attempts, then parked and alerted, never retried in silence,
 * whatever the processor's reason reads like.
 */
export class RefundRefusedError extends Error {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {
    super(`refund of ${orderId} refused by the processor: ${reason}`);
    this.name = 'RefundRefusedError';
  }
}
