import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { auditSettingsOf, type AuditSettings } from '../audit/audit-settings';

export const SERVICES = ['inventory', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The audit's settings (where the services keep their records), and where each service answers HTTP. */
export interface MonitorSettings extends AuditSettings {
  serviceUrls: Record<ServiceName, string>;
}

export function readMonitorSettings(environment: NodeJS.ProcessEnv): MonitorSettings {
  const env = new EnvReader(environment);
  const audit = auditSettingsOf(env);
  const { ports } = INFRASTRUCTURE_DEFAULTS;
  const urlOf = (service: ServiceName) =>
    env.url(`${service.toUpperCase()}_URL`, `http://127.0.0.1:${ports[service]}`, ['http:', 'https:']);
  const settings = {
    ...audit,
    serviceUrls: { inventory: urlOf('inventory'), order: urlOf('order'), payment: urlOf('payment') },
  };
  env.done();
  return settings;
}
