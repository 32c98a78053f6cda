import { join } from 'node:path';
import type Redis from 'ioredis';
import type { ReservationStatus } from '@boxoffice/contracts/inventory/reservation.dto';
import { keyList, saleKeys } from '@boxoffice/contracts/inventory/stock-keys';
import { LuaScript } from '@boxoffice/redis/lua-script';
import type { RedisWatch } from './redis-watch';

export interface GateHold {
  status: ReservationStatus;
  userId: string;
  quantity: number;
  expiresAtMs: number;
}

export type ReserveOutcome =
  | { kind: 'NOT_LOADED' | 'SOLD_OUT' | 'PURCHASE_LIMIT_EXCEEDED' }
  | { kind: 'HELD' | 'EXISTS'; hold: GateHold };

export interface GateOrder {
  orderId: string;
  userId: string;
  quantity: number;
}

export type SettleOutcome = 'NOT_LOADED' | 'NOT_FOUND' | ReservationStatus;

export interface GateCounts {
  totalStock: number;
  available: number;
  held: number;
  sold: number;
  perUserLimit: number;
  unitPrice: number;
  currency: string;
}

export interface LedgerSnapshot {
  totalStock: number;
  perUserLimit: number;
  unitPrice: number;
  currency: string;
  reservations: {
    orderId: string;
    status: ReservationStatus;
    userId: string;
    quantity: number;
    expiresAtMs: number;
  }[];
}

/** One of the gate's scripts, in lua/ beside this file (the build copies them there). */
function script(name: string): LuaScript {
  return new LuaScript(join(__dirname, 'lua', `${name}.lua`));
}

const scripts = {
  reserve: script('reserve'),
  commit: script('commit'),
  release: script('release'),
  load: script('load'),
};

/** A sale is announced as holding at most this often per instance; the announcement covers holds taken meanwhile. */
const ANNOUNCE_EVERY_MS = 1_000;
/** How long past its last possible hold's expiry a sale stays announced: room for the sweep and for clock skew. */
const HOLDING_MARGIN_MS = 60_000;

function parseHold(raw: string): GateHold {
  const hold = JSON.parse(raw) as { s: ReservationStatus; u: string; q: number; x: number };
  return { status: hold.s, userId: hold.u, quantity: hold.q, expiresAtMs: hold.x };
}

/** The Redis side of stock: every check-and-change is one atomic Lua script per sale. */
export class StockGate {
  /** Per sale, until when this instance's last announcement covers its holds (local clock). */
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Refuses (503) while Redis may not be trusted; see RedisWatch. */
    private readonly watch?: Pick<RedisWatch, 'assertServing'>,
  ) {}

  private keys(eventId: string): string[] {
    return keyList(saleKeys(this.prefix, eventId));
  }

  async reserve(
    eventId: string,
    orderId: string,
    userId: string,
    quantity: number,
    ttlMs: number,
  ): Promise<ReserveOutcome> {
    const [outcome] = await this.reserveMany(eventId, [{ orderId, userId, quantity }], ttlMs);
    return outcome;
  }

  /** Holds for many orders of one sale in one script: one outcome per order, in order (all NOT_LOADED alike). */
  async reserveMany(eventId: string, orders: GateOrder[], ttlMs: number): Promise<ReserveOutcome[]> {
    this.watch?.assertServing();
    await this.announce(eventId, ttlMs);
    const args = orders.flatMap((order) => [order.orderId, order.userId, order.quantity, ttlMs]);
    const answer = (await scripts.reserve.run(this.redis, this.keys(eventId), args)) as string[];
    if (answer[0] === 'NOT_LOADED') return orders.map(() => ({ kind: 'NOT_LOADED' }));
    return orders.map((_, i) => {
      const kind = answer[2 * i];
      if (kind === 'HELD' || kind === 'EXISTS') return { kind, hold: parseHold(answer[2 * i + 1]) };
      return { kind: kind as 'SOLD_OUT' | 'PURCHASE_LIMIT_EXCEEDED' };
    });
  }

  async commit(eventId: string, orderId: string): Promise<SettleOutcome> {
    const [outcome] = await this.settleMany('commit', eventId, [orderId]);
    return outcome;
  }

  async release(eventId: string, orderId: string): Promise<SettleOutcome> {
    const [outcome] = await this.settleMany('release', eventId, [orderId]);
    return outcome;
  }

  /** Commits or releases many orders of one sale in one script: one outcome per order, in order. */
  async settleMany(how: 'commit' | 'release', eventId: string, orderIds: string[]): Promise<SettleOutcome[]> {
    this.watch?.assertServing();
    const answer = (await scripts[how].run(this.redis, this.keys(eventId), orderIds)) as SettleOutcome[];
    return answer[0] === 'NOT_LOADED' ? orderIds.map(() => 'NOT_LOADED') : answer;
  }

  /** Returns false when the sale was already loaded (somebody else rebuilt it first). */
  async load(eventId: string, ledger: LedgerSnapshot): Promise<boolean> {
    this.watch?.assertServing();
    const reservations = ledger.reservations.map((r) => ({
      o: r.orderId,
      s: r.status,
      u: r.userId,
      q: r.quantity,
      x: r.expiresAtMs,
    }));
    const loaded = await scripts.load.run(this.redis, this.keys(eventId), [
      ledger.totalStock,
      ledger.perUserLimit,
      ledger.unitPrice,
      ledger.currency,
      reservations.length ? JSON.stringify(reservations) : '[]',
    ]);
    return loaded === 1;
  }

  async hold(eventId: string, orderId: string): Promise<GateHold | null> {
    const [hold] = await this.holds(eventId, [orderId]);
    return hold;
  }

  /** The holds of many orders of one sale, in order; null for an order Redis has none for. */
  async holds(eventId: string, orderIds: string[]): Promise<(GateHold | null)[]> {
    const raw = await this.redis.hmget(saleKeys(this.prefix, eventId).reservations, ...orderIds);
    return raw.map((hold) => (hold ? parseHold(hold) : null));
  }

  async counts(eventId: string): Promise<GateCounts | null> {
    const sale = await this.redis.hgetall(saleKeys(this.prefix, eventId).sale);
    if (!sale.totalStock) return null;
    return {
      totalStock: Number(sale.totalStock),
      available: Number(sale.available),
      held: Number(sale.held),
      sold: Number(sale.sold),
      perUserLimit: Number(sale.perUserLimit),
      unitPrice: Number(sale.unitPrice),
      currency: sale.currency,
    };
  }

  /** Redis's clock, in ms: the one the gate's expiries are on. */
  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /**
   * The sales that may have holds in Redis, so that the expiry sweep never reads the sales that ended: each is
   * announced in `<prefix>:holding` before a hold is taken (crash-safe: never a hold without its sale), scored with
   * the latest expiry a hold covered by the announcement can have, and dropped HOLDING_MARGIN_MS after it.
   * One key of its own, outside every sale's slot; written apart from the scripts, so Redis Cluster is fine.
   */
  async holdingEventIds(nowMs: number): Promise<string[]> {
    await this.redis.zremrangebyscore(this.holdingKey(), '-inf', `(${nowMs - HOLDING_MARGIN_MS}`);
    return this.redis.zrange(this.holdingKey(), 0, -1);
  }

  /** Per sale, the holds whose expiry passed before `beforeMs` and that Redis still has HELD. */
  async expiredHolds(eventIds: string[], beforeMs: number, limit: number): Promise<Map<string, string[]>> {
    // Sent together (one round trip on one connection), yet one command per sale's slot, as Redis Cluster wants.
    const answers = await Promise.all(
      eventIds.map((eventId) =>
        this.redis.zrangebyscore(saleKeys(this.prefix, eventId).expiries, 0, beforeMs, 'LIMIT', 0, limit),
      ),
    );
    return new Map(
      eventIds.map((eventId, i) => [eventId, answers[i]] as const).filter(([, ids]) => ids.length),
    );
  }

  /** Event ids of the sales Redis holds now (gate retention has not dropped them), by a SCAN of their `sale` keys. */
  async loadedEventIds(): Promise<string[]> {
    const head = `${this.prefix}:{`;
    const tail = '}:sale';
    const eventIds: string[] = [];
    for await (const keys of this.redis.scanStream({ match: `${head}*${tail}`, count: 1000 })) {
      for (const key of keys as string[]) eventIds.push(key.slice(head.length, -tail.length));
    }
    return eventIds;
  }

  /** Once a second per sale at most: the score only grows (GT), so an older announcement never shortens a newer one. */
  private async announce(eventId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    if ((this.announced.get(eventId) ?? 0) > now) return;
    await this.redis.zadd(this.holdingKey(), 'GT', now + ANNOUNCE_EVERY_MS + ttlMs, eventId);
    // Only once Redis has it: a reserve in the same second then either sees it or announces again.
    this.announced.set(eventId, Math.max(this.announced.get(eventId) ?? 0, now + ANNOUNCE_EVERY_MS));
  }

  private holdingKey(): string {
    return `${this.prefix}:holding`;
  }

  /** Drops a sale's Redis state so that the next call rebuilds it from the ledger. */
  async forget(eventId: string): Promise<void> {
    await this.redis.del(...this.keys(eventId));
  }
}
