import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createHttpApp } from '@boxoffice/platform/http/create-http-app';
import { InventoryConfig } from './inventory.config';
import { InventoryModule } from './inventory.module';

async function main(): Promise<void> {
  const config = new InventoryConfig(process.env);
  const app = await createHttpApp(InventoryModule, { bodyLimitBytes: config.bodyLimitBytes });
  await app.listen(config.port, config.host);
  new Logger('inventory').log(`listening on http://${config.host}:${config.port}`);
}

main().catch((error) => {
  console.error(`inventory failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
