import { DataSource } from 'typeorm';
import type { ReadinessCheck } from '@boxoffice/health/readiness-check';

/** Up when the service's Postgres answers a query. */
export function databaseReadiness(): ReadinessCheck {
  return {
    name: 'database',
    probe: async (resolve) => {
      await resolve(DataSource).query('SELECT 1');
      return { up: true };
    },
  };
}
