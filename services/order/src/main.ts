import 'reflect-metadata';
import { startEventTransport } from '@boxoffice/messaging/start-event-transport';
import { runService } from '@boxoffice/platform/http/run-service';
import { OrderConfig } from './order.config';
import { orderTransportOptions } from './order.messaging';
import { OrderModule } from './order.module';

const config = () => new OrderConfig(process.env);
runService('order', OrderModule, config, (app) => startEventTransport(app, orderTransportOptions(config())));
