import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DatabaseSettings } from './database-settings';
import { openDatabase, type DatabaseOptions } from './open-database';

/** The service's `DataSource`: its schema created, its migrations run, from the `database` part of its config. */
export function provideDatabase<C extends { database: DatabaseSettings }>(
  configType: Type<C>,
  model: Pick<DatabaseOptions, 'entities' | 'migrations'>,
): Provider {
  return {
    provide: DataSource,
    inject: [configType],
    useFactory: ({ database }: C) =>
      openDatabase({
        url: database.url,
        schema: database.schema,
        poolSize: database.poolSize,
        queryTimeoutMs: database.queryTimeoutMs,
        ...model,
      }),
  };
}
