import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@boxoffice/errors/domain-error';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { InventoryClient } from '../inventory-client/inventory.client';
import { OrderConfig } from '../order.config';
import { RoomQueue } from './room-queue';
import { RoomSettings } from './room-settings';

/** Each room on reads its sale's stock this often, on every order instance: the newest reading wins in Redis. */
export const STOCK_EVERY_MS = 1000;
/**
 * A reading is trusted this long from when it was asked: past it (inventory unreachable or slower than this, no
 * instance reading) the room admits at its rate.
 */
export const STOCK_TRUST_SECONDS = 5;

/**
 * The rooms follow their sales' stock (docs/contract.md §2, _The room follows its sale's stock_): every second, the
 * ledger counts inventory answers for each sale whose room is on go to the room in Redis (room.lua's 'stock' step),
 * where none available stands the serving counter and none held either tells the queue the sale is sold out.
 */
@Injectable()
export class RoomStock implements BeforeApplicationShutdown {
  private readonly logger = new Logger('waiting-room');
  /** The readings under way, by sale: a slow sale's is not asked again, and holds back no other's. */
  private readonly reading = new Map<string, Promise<void>>();
  /** Per sale whose last reading failed: said once, and once more when it reads again. */
  private readonly failing = new Set<string>();

  constructor(
    private readonly settings: RoomSettings,
    private readonly queue: RoomQueue,
    private readonly inventory: InventoryClient,
    private readonly config: OrderConfig,
  ) {}

  @Periodic('waiting room stock', STOCK_EVERY_MS)
  read(): Promise<void> {
    const on = this.settings.on();
    for (const eventId of this.failing) if (!on.includes(eventId)) this.failing.delete(eventId);
    for (const eventId of on) void this.readOne(eventId);
    return Promise.resolve();
  }

  /** The readings under way end before Redis and inventory's pool close. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.reading.values());
  }

  /** One sale's reading, now (a room just turned on reads at once), or the one under way: never throws. */
  readOne(eventId: string): Promise<void> {
    const under = this.reading.get(eventId);
    if (under) return under;
    const reading = this.readNow(eventId).finally(() => this.reading.delete(eventId));
    this.reading.set(eventId, reading);
    return reading;
  }

  private async readNow(eventId: string): Promise<void> {
    const askedAt = performance.now();
    try {
      const { ledger } = await this.inventory.sale(eventId);
      const reading = { ...ledger, ageMs: performance.now() - askedAt };
      // A queue Redis lost stays closed: the reading is dropped (null), the operator reopens it.
      await this.queue.stock(eventId, reading, STOCK_TRUST_SECONDS, this.config.waitingRoom.admissionSeconds);
      if (this.failing.delete(eventId))
        this.logger.log(`the waiting room of ${eventId} reads its sale's stock again`);
    } catch (error) {
      // A room may be set before its sale: no stock to read yet, nothing to say.
      if (error instanceof DomainError && error.code === 'EVENT_NOT_FOUND') return;
      if (!this.failing.has(eventId))
        this.logger.warn(
          `the waiting room of ${eventId} cannot read its sale's stock (${(error as Error).message}): it admits at its rate, stock unknown, until it can`,
        );
      this.failing.add(eventId);
    }
  }
}
