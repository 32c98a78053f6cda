import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { startServiceApp, type ServiceTestApp } from '@boxoffice/testing/start-service-app';
import { startInCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { InventoryConfig } from './inventory.config';
import { InventoryModule } from './inventory.module';
import { StockGate } from './stock-gate/stock-gate';

export interface InventoryTestApp extends ServiceTestApp {
  gate: StockGate;
  db: DataSource;
  redis: Redis;
  corner: TestCorner;
}

/** The real inventory module, in-process, on real Postgres and Redis, in a schema and key prefix of its own. */
export function startInventory(
  label: string,
  settings: Record<string, string> = {},
  { listen = false }: { listen?: boolean } = {},
): Promise<InventoryTestApp> {
  return startInCorner(label, {}, async (corner) => {
    const config = new InventoryConfig({ ...corner.env('inventory'), ...settings });
    const service = await startServiceApp({
      module: InventoryModule,
      configType: InventoryConfig,
      config,
      listen,
    });
    corner.defer(() => service.close());
    return {
      ...service,
      gate: service.app.get(StockGate),
      db: service.app.get(DataSource),
      redis: service.app.get(Redis),
      corner,
      close: () => corner.dispose(),
    };
  });
}
