import type { EnvReader } from '@boxoffice/config/env-reader';

export interface HttpSettings {
  /** The service's name, lower case: `inventory`, `order`... */
  service: string;
  host: string;
  port: number;
  bodyLimitBytes: number;
}

/** `<SERVICE>_HOST`, `<SERVICE>_PORT` and the shared `HTTP_BODY_LIMIT_BYTES`. */
export function readHttpSettings(env: EnvReader, service: string, defaultPort: number): HttpSettings {
  return {
    service: service.toLowerCase(),
    host: env.host(`${service}_HOST`, '127.0.0.1'),
    port: env.int(`${service}_PORT`, defaultPort, 0, 65535),
    bodyLimitBytes: env.int('HTTP_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760),
  };
}
