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

export function readAuditSettings(environment: NodeJS.ProcessEnv): AuditSettings {
  const env = new EnvReader(environment);
  const settings = auditSettingsOf(env);
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
