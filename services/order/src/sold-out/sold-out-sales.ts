/** A sale inventory said was sold out: for this quantity and more, until `until` (ms, the monotonic clock). */
interface SoldOut {
  quantity: number;
  until: number;
}

/** More sales than a flash sale has at once; beyond it the oldest entry goes (it only costs a call to inventory). */
const MAX_SALES = 10_000;

/**
 * The sales inventory answered SOLD_OUT for within the last `ttlMs`: a sold-out storm is answered here, without a
 * call, and a returned ticket is on sale again within `ttlMs` at most (docs/contract.md §2, "Sold out"). A refusal
 * for quantity q says nothing of smaller quantities, so only q and more are answered from memory.
 */
export class SoldOutSales {
  private readonly sales = new Map<string, SoldOut>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether an order of `quantity` for this sale is refused from memory. */
  covers(eventId: string, quantity: number): boolean {
    const soldOut = this.sales.get(eventId);
    if (!soldOut) return false;
    if (soldOut.until <= this.now()) {
      this.sales.delete(eventId);
      return false;
    }
    return quantity >= soldOut.quantity;
  }

  /** Inventory refused `quantity` of this sale as sold out. */
  refused(eventId: string, quantity: number): void {
    if (this.ttlMs === 0) return;
    const known = this.sales.get(eventId);
    const until = this.now() + this.ttlMs;
    // A fresh refusal of a larger quantity keeps the smaller one's reach, but not its age.
    const smallest = known && known.until > this.now() ? Math.min(known.quantity, quantity) : quantity;
    this.sales.delete(eventId);
    if (this.sales.size >= MAX_SALES) this.sales.delete(this.sales.keys().next().value!);
    this.sales.set(eventId, { quantity: smallest, until });
  }

  /** Tickets of this sale went back on sale (this instance released a hold): ask inventory again. */
  returned(eventId: string): void {
    this.sales.delete(eventId);
  }
}
