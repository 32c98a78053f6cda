import 'reflect-metadata';
import { startMessageTransport } from '@boxoffice/messaging/start-message-transport';
import { runService } from '@boxoffice/http/run-service';
import { OrderConfig } from './order.config';
import { orderTransportOptions } from './order.messaging';
import { OrderModule } from './order.module';

const config = () => new OrderConfig(process.env);
runService('order', OrderModule, config, (app) =>
  startMessageTransport(app, orderTransportOptions(config())),
);
