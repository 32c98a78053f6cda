/** A sale inventory said was sold out, for this quantity and more (times in ms, the monotonic clock). */
interface SoldOut {
  quantity: number;
  /** From then on one request asks inventory again; the next may ask ASK_AGAIN of the ttl later, if no answer came. */
  askAt: number;
  /** Forgotten then: every request asks inventory. */
  until: number;
}

/** More sales than a flash sale has at once; beyond it the oldest entry goes (it only costs a call to inventory). */
const MAX_SALES = 10_000;
/** A request that asks but never reaches inventory (turned away, a replayed key) holds the turn this long at most. */
const ASK_AGAIN = 1 / 4;

/**
 * The sales inventory answered SOLD_OUT for within the last `ttlMs`: a sold-out storm is answered here, without a
 * call, and a returned ticket is on sale again within `ttlMs` at most (docs/contract.md §2, "Sold out from memory").
 * Past half of `ttlMs` one request of the refused quantity asks inventory again while the others are still
 * answered from memory: were every request to ask once the memory ended, a storm would send inventory all of its
 * requests in flight at once, several times a second. A refusal for quantity q says nothing of smaller quantities,
 * so only q and more are answered from memory.
 */
export class SoldOutSales {
  private readonly sales = new Map<string, SoldOut>();
  /** When this instance last saw tickets of a sale on sale: a SOLD_OUT asked before then is out of date. */
  private readonly onSaleAt = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    /** The memory's clock: a request stamps its question to inventory with it (see refused). */
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether inventory refused this quantity or less of the sale within the ttl: then an order of it is refused. */
  remembers(eventId: string, quantity: number): boolean {
    const soldOut = this.sales.get(eventId);
    if (!soldOut) return false;
    if (soldOut.until <= this.now()) {
      this.sales.delete(eventId);
      return false;
    }
    return quantity >= soldOut.quantity;
  }

  /**
   * Whether an order of this quantity is refused from memory, the turn to ask being left as it is: what `remembers`
   * and, if it `mayAsk`, `takeTurnToAsk` would decide together, without taking the turn.
   */
  wouldRefuse(eventId: string, quantity: number, mayAsk: boolean): boolean {
    if (!this.remembers(eventId, quantity)) return false;
    const soldOut = this.sales.get(eventId)!;
    return !(mayAsk && quantity === soldOut.quantity && soldOut.askAt <= this.now());
  }

  /**
   * Takes the turn to ask inventory again, when it is due; true when taken (the next turn is ASK_AGAIN of the ttl
   * later). Only the refused quantity asks: a refusal of more would say nothing of it.
   */
  takeTurnToAsk(eventId: string, quantity: number): boolean {
    const soldOut = this.sales.get(eventId);
    const now = this.now();
    if (!soldOut || quantity !== soldOut.quantity || soldOut.askAt > now) return false;
    soldOut.askAt = now + this.ttlMs * ASK_AGAIN;
    return true;
  }

  /**
   * Inventory refused `quantity` of this sale as sold out, asked at `askedAt` (this memory's clock). Its age counts
   * from then, and a refusal asked before tickets were last seen on sale is ignored: it was decided before a release
   * but answered after it, and would take that ticket off sale for another ttl.
   */
  refused(eventId: string, quantity: number, askedAt = this.now()): void {
    if (this.ttlMs === 0 || askedAt <= (this.onSaleAt.get(eventId) ?? -Infinity)) return;
    const known = this.sales.get(eventId);
    // A refusal of more than the remembered quantity leaves that memory as it is, age included.
    if (known && known.until > this.now() && quantity > known.quantity) return;
    this.sales.delete(eventId);
    forgetOldest(this.sales);
    this.sales.set(eventId, { quantity, askAt: askedAt + this.ttlMs / 2, until: askedAt + this.ttlMs });
  }

  /** Tickets of this sale are on sale: this instance released a hold, or inventory just held some. */
  onSale(eventId: string): void {
    this.sales.delete(eventId);
    if (this.ttlMs === 0) return;
    this.onSaleAt.delete(eventId); // set again, so that the oldest sale is first in line to be forgotten
    forgetOldest(this.onSaleAt);
    this.onSaleAt.set(eventId, this.now());
  }
}

/** Keeps a map under MAX_SALES entries before one is added: the first inserted goes. */
function forgetOldest(sales: Map<string, unknown>): void {
  if (sales.size >= MAX_SALES) sales.delete(sales.keys().next().value!);
}
