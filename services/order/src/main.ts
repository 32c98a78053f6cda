import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startEventTransport } from '@boxoffice/messaging/start-event-transport';
import { createHttpApp } from '@boxoffice/platform/http/create-http-app';
import { OrderConfig } from './order.config';
import { orderTransportOptions } from './order.messaging';
import { OrderModule } from './order.module';

async function main(): Promise<void> {
  const config = new OrderConfig(process.env);
  const app = await createHttpApp(OrderModule, { bodyLimitBytes: config.bodyLimitBytes });
  await startEventTransport(app, orderTransportOptions(config));
  await app.listen(config.port, config.host);
  new Logger('order').log(`listening on http://${config.host}:${config.port}`);
}

main().catch((error) => {
  console.error(`order failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
