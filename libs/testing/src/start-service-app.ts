import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { AmqpMessageTransportOptions } from '@boxoffice/messaging/amqp-message.transport';
import { startMessageTransport } from '@boxoffice/messaging/start-message-transport';
import type { HttpSettings } from '@boxoffice/http/http-settings';
import { configureHttpApp, httpAdapter } from '@boxoffice/http/create-http-app';

export interface ServiceTestApp {
  app: NestFastifyApplication;
  /** supertest against the app's HTTP server. */
  http: () => ReturnType<typeof request>;
  /** Set when `listen` was asked for: where other services (or undici) can reach it. */
  url?: string;
  close(): Promise<void>;
}

/**
 * A service's real Nest module, configured like main.ts does (Fastify, validation, error bodies and, when given,
 * the AMQP consumers), with its config provider replaced by the test's own settings.
 */
export async function startServiceApp<C extends { http: HttpSettings }>(options: {
  module: Type<unknown>;
  configType: Type<C>;
  config: C;
  transport?: AmqpMessageTransportOptions;
  /** Listen on 127.0.0.1 at a free port, for callers that need a real URL. */
  listen?: boolean;
}): Promise<ServiceTestApp> {
  const testing = await Test.createTestingModule({ imports: [options.module] })
    .overrideProvider(options.configType)
    .useValue(options.config)
    .compile();
  const app = testing.createNestApplication<NestFastifyApplication>(httpAdapter(options.config.http));
  configureHttpApp(app, options.config.http);
  if (options.transport) await startMessageTransport(app, options.transport);
  let url: string | undefined;
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  } else {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }
  return {
    app,
    http: () => request(app.getHttpServer()),
    url: url?.replace('[::1]', '127.0.0.1'),
    close: () => app.close(),
  };
}
