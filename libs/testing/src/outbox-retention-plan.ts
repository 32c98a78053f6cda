import type { DataSourceOptions } from 'typeorm';
import { RETENTION_DELETE } from '@boxoffice/outbox/outbox-relay';
import { planOf } from './query-plan';

/** The plan Postgres makes for the outbox relay's retention DELETE on a schema built by `migrations` (see planOf). */
export function planOfOutboxRetention(
  label: string,
  migrations: DataSourceOptions['migrations'],
): Promise<string> {
  return planOf(label, migrations, RETENTION_DELETE, [3_600]);
}
