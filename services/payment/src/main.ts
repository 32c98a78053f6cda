import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startEventTransport } from '@boxoffice/messaging/start-event-transport';
import { createHttpApp } from '@boxoffice/platform/http/create-http-app';
import { PaymentConfig } from './payment.config';
import { paymentTransportOptions } from './payment.messaging';
import { PaymentModule } from './payment.module';

async function main(): Promise<void> {
  const config = new PaymentConfig(process.env);
  const app = await createHttpApp(PaymentModule, { bodyLimitBytes: config.bodyLimitBytes });
  await startEventTransport(app, paymentTransportOptions(config));
  await app.listen(config.port, config.host);
  new Logger('payment').log(`listening on http://${config.host}:${config.port}`);
}

main().catch((error) => {
  console.error(`payment failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
