import type { DataSource } from 'typeorm';
import type { InventoryConfig } from '../inventory.config';
import type { GateRebuild } from '../stock-gate/gate-rebuild';
import type { StockGate } from '../stock-gate/stock-gate';
import { Reservation } from '../ledger/reservation.entity';
import { ReservationsService } from './reservations.service';

// The gate and its rebuild are ports here: what is tested is the order of the calls.
describe('ReservationsService.applyToGate', () => {
  const committed = Object.assign(new Reservation(), { orderId: 'o1', eventId: 'gig', status: 'COMMITTED' });

  function serviceWith(commitOutcomes: string[]) {
    const gate = { settleMany: jest.fn() };
    for (const outcome of commitOutcomes) gate.settleMany.mockResolvedValueOnce([outcome]);
    const rebuild = {
      ensureLoaded: jest.fn().mockResolvedValue(true),
      reload: jest.fn().mockResolvedValue(true),
    };
    const service = new ReservationsService(
      {} as DataSource,
      gate as unknown as StockGate,
      rebuild as unknown as GateRebuild,
      {} as InventoryConfig,
    );
    return { service, gate, rebuild };
  }

  it('given the sale missing from Redis, when a commit is applied, then it is applied again on the rebuilt gate (a rebuild already running may not have seen it)', async () => {
    const { service, gate, rebuild } = serviceWith(['NOT_LOADED', 'COMMITTED']);

    await service.applyToGate(committed);

    expect(rebuild.ensureLoaded).toHaveBeenCalledWith('gig');
    expect(gate.settleMany).toHaveBeenCalledTimes(2);
    expect(gate.settleMany).toHaveBeenLastCalledWith('commit', 'gig', ['o1']);
    expect(rebuild.reload).not.toHaveBeenCalled();
  });

  it('given a gate that disagrees with the ledger after applying, when a commit is applied, then the sale is reloaded from the ledger', async () => {
    const { service, rebuild } = serviceWith(['RELEASED']);

    await service.applyToGate(committed);

    expect(rebuild.reload).toHaveBeenCalledWith('gig');
  });

  it('given rows of two sales, some committed and some released, when applied together, then one script per sale and decision', async () => {
    const { service, gate } = serviceWith([]);
    gate.settleMany.mockImplementation(async (how: string, _eventId: string, orderIds: string[]) =>
      orderIds.map(() => (how === 'commit' ? 'COMMITTED' : 'RELEASED')),
    );
    const row = (orderId: string, eventId: string, status: Reservation['status']) =>
      Object.assign(new Reservation(), { orderId, eventId, status });

    await service.applyAllToGate([
      row('a1', 'gig', 'COMMITTED'),
      row('a2', 'gig', 'RELEASED'),
      row('a3', 'gig', 'COMMITTED'),
      row('b1', 'fest', 'COMMITTED'),
    ]);

    expect(gate.settleMany.mock.calls).toEqual([
      ['commit', 'gig', ['a1', 'a3']],
      ['release', 'gig', ['a2']],
      ['commit', 'fest', ['b1']],
    ]);
  });
});
