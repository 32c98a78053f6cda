import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startServiceApp } from '@boxoffice/testing/start-service-app';
import {
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  testNamespace,
  TestNamespace,
} from '@boxoffice/testing/test-namespace';
import { InventoryConfig } from './inventory.config';
import { InventoryModule } from './inventory.module';
import { StockGate } from './stock-gate/stock-gate';

export interface InventoryTestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  /** Set with `{ listen: true }`: the URL another service (order) calls. */
  url?: string;
  gate: StockGate;
  db: DataSource;
  namespace: TestNamespace;
  close(): Promise<void>;
}

/** The real inventory module on real Postgres and Redis, in a schema and key prefix of its own. */
export async function startInventory(
  label: string,
  settings: Record<string, string> = {},
  { listen = false, namespace = testNamespace(label) }: { listen?: boolean; namespace?: TestNamespace } = {},
): Promise<InventoryTestApp> {
  const config = new InventoryConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    INVENTORY_DB_SCHEMA: namespace.schema,
    INVENTORY_REDIS_PREFIX: namespace.redisPrefix,
    ...settings,
  });
  const service = await startServiceApp({
    module: InventoryModule,
    configType: InventoryConfig,
    config,
    listen,
  });
  return {
    ...service,
    gate: service.app.get(StockGate),
    db: service.app.get(DataSource),
    namespace,
    close: async () => {
      await service.close();
      await namespace.dispose();
    },
  };
}

export function redisOf(app: InventoryTestApp): Redis {
  return app.app.get(Redis);
}

export async function createSale(
  inventory: InventoryTestApp,
  eventId: string,
  sale: { totalStock: number; perUserLimit?: number; unitPrice?: number },
): Promise<void> {
  await inventory
    .http()
    .put(`/events/${eventId}`)
    .send({ name: `Sale ${eventId}`, unitPrice: 4200, currency: 'EUR', ...sale })
    .expect(201);
}

export interface StockCounts {
  totalStock: number;
  available: number;
  held: number;
  sold: number;
  ledger: { available: number; held: number; sold: number };
}

/** Reads a sale and checks conservation (available + held + sold = total) in Redis and in Postgres. */
export async function conservedCounts(inventory: InventoryTestApp, eventId: string): Promise<StockCounts> {
  const { body } = await inventory.http().get(`/events/${eventId}`).expect(200);
  const counts = body as StockCounts;
  expect(counts.available + counts.held + counts.sold).toBe(counts.totalStock);
  expect(counts.ledger.available + counts.ledger.held + counts.ledger.sold).toBe(counts.totalStock);
  return counts;
}
