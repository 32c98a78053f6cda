import type { EnvReader } from '@boxoffice/config/env-reader';

export interface HttpSettings {
  /** The service's name, lower case: `inventory`, `order`... */
  service: string;
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** From a stop signal to the exit; past it the process exits 1 and says what was still open. */
  shutdownTimeoutMs: number;
  /** How long a stopping service still serves while /health/ready answers 503, before its port closes. */
  shutdownDelayMs: number;
}

/** `<SERVICE>_HOST`, `<SERVICE>_PORT` and the shared `HTTP_BODY_LIMIT_BYTES`, `SHUTDOWN_TIMEOUT_MS`, `SHUTDOWN_DELAY_MS`. */
export function readHttpSettings(env: EnvReader, service: string, defaultPort: number): HttpSettings {
  const settings = {
    service: service.toLowerCase(),
    host: env.host(`${service}_HOST`, '127.0.0.1'),
    port: env.int(`${service}_PORT`, defaultPort, 0, 65535),
    bodyLimitBytes: env.int('HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760),
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    shutdownDelayMs: env.int('SHUTDOWN_DELAY_MS', 0, 0, 60_000),
  };
  // The delay counts within the timeout: one as long would make every stop end past its deadline.
  if (settings.shutdownDelayMs >= settings.shutdownTimeoutMs) {
    env.refuse('SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS');
  }
  return settings;
}
