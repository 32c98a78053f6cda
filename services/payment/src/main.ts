import 'reflect-metadata';
import { startMessageTransport } from '@boxoffice/messaging/start-message-transport';
import { runService } from '@boxoffice/http/run-service';
import { PaymentConfig } from './payment.config';
import { paymentTransportOptions } from './payment.messaging';
import { PaymentModule } from './payment.module';

const config = () => new PaymentConfig(process.env);
runService('payment', PaymentModule, config, (app) =>
  startMessageTransport(app, paymentTransportOptions(config())),
);
