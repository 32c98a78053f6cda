import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@boxoffice/errors/domain-error';
import { Periodic } from '@boxoffice/scheduling/periodic.decorator';
import { InventoryClient } from '../inventory-client/inventory.client';
import { RoomQueue } from './room-queue';
import { RoomSettings } from './room-settings';

/** Each room on reads its sale's stock this often, on every order instance: the newest reading wins in Redis. */
export const STOCK_EVERY_MS = 1000;
/** A reading is trusted this long: past it (inventory unreachable, no instance reading) the room admits at its rate. */
export const STOCK_TRUST_SECONDS = 5;

/**
 * The rooms follow their sales' stock (docs/contract.md §2, _The room follows its sale's stock_): every second, the
 * ledger counts inventory answers for each sale whose room is on go to the room in Redis (room.lua's 'stock' step),
 * where none available stands the serving counter and none held either tells the queue the sale is sold out.
 */
@Injectable()
export class RoomStock {
  private readonly logger = new Logger('waiting-room');
  /** Per sale, why its last reading failed: said once, not every second. */
  private readonly failing = new Map<string, string>();

  constructor(
    private readonly settings: RoomSettings,
    private readonly queue: RoomQueue,
    private readonly inventory: InventoryClient,
  ) {}

  @Periodic('waiting room stock', STOCK_EVERY_MS)
  async read(): Promise<void> {
    await Promise.all(this.settings.on().map((eventId) => this.readOne(eventId)));
  }

  private async readOne(eventId: string): Promise<void> {
    try {
      const { ledger } = await this.inventory.sale(eventId);
      // A queue Redis lost stays closed: the reading is dropped (null), the operator reopens it.
      await this.queue.stock(eventId, ledger, STOCK_TRUST_SECONDS);
      this.failing.delete(eventId);
    } catch (error) {
      // A room may be set before its sale: no stock to read yet, nothing to say.
      if (error instanceof DomainError && error.code === 'EVENT_NOT_FOUND') return;
      const why = (error as Error).message;
      if (this.failing.get(eventId) !== why)
        this.logger.warn(
          `the waiting room of ${eventId} cannot read its sale's stock (${why}): it admits at its rate, stock unknown, until it can`,
        );
      this.failing.set(eventId, why);
    }
  }
}
