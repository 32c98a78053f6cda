import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';

/** Where the audit reads from: the same variables, and defaults, as the services it audits. */
export interface AuditSettings {
  databaseUrl: string;
  schemas: { inventory: string; order: string; payment: string };
  redisUrl: string;
  redisPrefix: string;
  /** The vhost the services use, taken from RABBITMQ_URL. */
  vhost: string;
  rabbitmqManagementUrl: string;
}

/** What `npm run audit` may spend and tolerate; the chaos runner, the bench and the tests take the defaults. */
export interface AuditLimits {
  /** Postgres cancels an audit query that runs longer (statement_timeout), whatever became of the audit. */
  statementTimeoutSeconds: number;
  /** A CANCELLED order whose compensation has not moved for longer is a violation (COMPENSATION_OVERDUE). */
  compensationMaxAgeSeconds: number;
}

/** 100,000 orders take a few seconds: a minute means something is wrong, not that the sale is big. */
export const AUDIT_LIMITS: AuditLimits = { statementTimeoutSeconds: 60, compensationMaxAgeSeconds: 300 };

export function readAuditSettings(environment: NodeJS.ProcessEnv): AuditSettings & AuditLimits {
  const env = new EnvReader(environment);
  const settings = {
    ...auditSettingsOf(env),
    statementTimeoutSeconds: env.int(
      'AUDIT_STATEMENT_TIMEOUT_SECONDS',
      AUDIT_LIMITS.statementTimeoutSeconds,
      1,
      3600,
    ),
    compensationMaxAgeSeconds: env.int(
      'AUDIT_COMPENSATION_MAX_AGE_SECONDS',
      AUDIT_LIMITS.compensationMaxAgeSeconds,
      1,
      604_800,
    ),
  };
  env.done();
  return settings;
}

/** The audit's settings from a reader that may read more before its `done()` (the monitor's). */
export function auditSettingsOf(env: EnvReader): AuditSettings {
  const defaults = INFRASTRUCTURE_DEFAULTS;
  const rabbitmqUrl = env.url('RABBITMQ_URL', defaults.rabbitmqUrl, ['amqp:', 'amqps:']);
  return {
    databaseUrl: env.url('DATABASE_URL', defaults.databaseUrl, ['postgres:', 'postgresql:']),
    schemas: {
      inventory: env.name('INVENTORY_DB_SCHEMA', defaults.schemas.inventory),
      order: env.name('ORDER_DB_SCHEMA', defaults.schemas.order),
      payment: env.name('PAYMENT_DB_SCHEMA', defaults.schemas.payment),
    },
    redisUrl: env.url('REDIS_URL', defaults.redisUrl, ['redis:', 'rediss:']),
    redisPrefix: env.name('INVENTORY_REDIS_PREFIX', defaults.redisPrefix),
    vhost: decodeURIComponent(new URL(rabbitmqUrl).pathname.slice(1)) || '/',
    rabbitmqManagementUrl: env.url('RABBITMQ_MANAGEMENT_URL', defaults.rabbitmqManagementUrl, [
      'http:',
      'https:',
    ]),
  };
}
