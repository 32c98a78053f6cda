import 'reflect-metadata';
import { startEventTransport } from '@boxoffice/messaging/start-event-transport';
import { runService } from '@boxoffice/platform/http/run-service';
import { PaymentConfig } from './payment.config';
import { paymentTransportOptions } from './payment.messaging';
import { PaymentModule } from './payment.module';

const config = () => new PaymentConfig(process.env);
runService('payment', PaymentModule, config, (app) =>
  startEventTransport(app, paymentTransportOptions(config())),
);
