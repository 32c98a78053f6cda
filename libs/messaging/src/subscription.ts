/** Turns an untrusted decoded body into a typed message, or throws saying what is wrong with it. */
export type Validator<T> = (raw: unknown) => T;

/** What one consumer queue receives: `<service>.<routing key>`, bound to the boxoffice exchange by that routing key. */
export interface Subscription<T = unknown> {
  readonly queue: string;
  readonly routingKey: string;
  readonly validate: Validator<T>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

export function subscription<T>(
  serviceName: string,
  routingKey: string,
  validate: Validator<T>,
): Subscription<T> {
  for (const [what, value] of [
    ['service name', serviceName],
    ['routing key', routingKey],
  ]) {
    if (!NAME.test(value)) {
      throw new Error(`${what} must be a lower-case identifier such as "order_created" (got "${value}")`);
    }
  }
  return { queue: `${serviceName}.${routingKey}`, routingKey, validate };
}
