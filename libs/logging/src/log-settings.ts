import type { EnvReader } from '@boxoffice/config/env-reader';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object a line, for a log pipeline; `pretty`: readable lines, for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  /** Written on every line as `service`. */
  service: string;
  level: LogLevel;
  format: LogFormat;
}

/** `LOG_LEVEL` and `LOG_FORMAT`, the same for every service. */
export function readLogSettings(
  env: EnvReader,
  service: string,
  defaultLevel: LogLevel = 'info',
): LogSettings {
  return {
    service,
    level: env.oneOf('LOG_LEVEL', defaultLevel, LOG_LEVELS),
    format: env.oneOf('LOG_FORMAT', 'json', LOG_FORMATS),
  };
}
