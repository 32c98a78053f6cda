import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PutSaleDto, SaleView, StockCounts } from '@boxoffice/contracts/inventory/sale.dto';
import { DomainError } from '@boxoffice/errors/domain-error';
import { GateRebuild } from '../stock-gate/gate-rebuild';
import { lockSaleExclusive } from '../ledger/sale-lock';
import { StockGate } from '../stock-gate/stock-gate';
import { Sale } from '../ledger/sale.entity';

@Injectable()
export class SalesService {
  constructor(
    private readonly db: DataSource,
    private readonly gate: StockGate,
    private readonly rebuild: GateRebuild,
  ) {}

  /** Creates or changes a sale; the gate is rebuilt from the ledger so Redis never disagrees with the new numbers. */
  async put(eventId: string, change: PutSaleDto): Promise<{ created: boolean; sale: SaleView }> {
    const created = await this.db.transaction(async (tx) => {
      await lockSaleExclusive(tx, eventId);
      const existing = await tx.findOne(Sale, { where: { eventId }, lock: { mode: 'pessimistic_write' } });
      // The row is locked: its counters cannot move until the change commits.
      const ledger = existing ? ledgerCounts(existing) : { held: 0, sold: 0 };
      if (change.totalStock < ledger.held + ledger.sold) {
        throw new DomainError(
          'STOCK_BELOW_ALLOCATED',
          `totalStock ${change.totalStock} is below the ${ledger.held} held and ${ledger.sold} sold tickets`,
        );
      }
      const fields = {
        name: change.name,
        totalStock: change.totalStock,
        unitPrice: change.unitPrice,
        currency: change.currency,
        perUserLimit: change.perUserLimit ?? 0,
      };
      const changed =
        !existing || Object.entries(fields).some(([key, value]) => existing[key as keyof Sale] !== value);
      // An unchanged sale is not written at all (save() skips it); a changed one counts the change.
      const sale = Object.assign(existing ?? tx.create(Sale, { eventId }), fields, {
        version: existing ? existing.version + (changed ? 1 : 0) : 1,
      });
      await tx.save(sale);
      await this.gate.forget(eventId);
      return !existing;
    });
    await this.rebuild.ensureLoaded(eventId);
    return { created, sale: await this.get(eventId) };
  }

  async get(eventId: string): Promise<SaleView> {
    const sale = await this.db.getRepository(Sale).findOne({ where: { eventId } });
    if (!sale) throw new DomainError('EVENT_NOT_FOUND', `No sale for event ${eventId}`);
    let counts = await this.gate.counts(eventId);
    if (!counts) {
      await this.rebuild.ensureLoaded(eventId);
      counts = await this.gate.counts(eventId);
    }
    if (!counts) throw new DomainError('UNAVAILABLE', `The stock of ${eventId} could not be loaded`);
    return {
      eventId,
      name: sale.name,
      totalStock: counts.totalStock,
      available: counts.available,
      held: counts.held,
      sold: counts.sold,
      unitPrice: counts.unitPrice,
      currency: counts.currency,
      perUserLimit: counts.perUserLimit,
      ledger: ledgerCounts(sale),
    };
  }
}

/** The ledger's counts, from the sale's own counters: no sum over its reservations, however many it has. */
function ledgerCounts(sale: Sale): StockCounts {
  return { available: sale.totalStock - sale.held - sale.sold, held: sale.held, sold: sale.sold };
}
