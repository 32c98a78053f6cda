import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written inside a unit of work carries: `orderId`, `messageId`, `correlationId`... */
export type LogFields = Readonly<Record<string, string | number | undefined>>;

interface LogContext {
  /** The HTTP request being served: its lines carry it (see currentLogFields), calls made for it forward it. */
  readonly requestId?: string;
  readonly fields: LogFields;
}

const NO_FIELDS: LogFields = Object.freeze({});
const context = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `fields` added to every line it logs, however deep and across every await. */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  const outer = context.getStore();
  return context.run({ requestId: outer?.requestId, fields: { ...outer?.fields, ...fields } }, work);
}

/** Runs `work` as the handling of the HTTP request `requestId` (see logRequests). */
export function inRequest<T>(requestId: string, work: () => T): T {
  return context.run({ requestId, fields: NO_FIELDS }, work);
}

export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/**
 * For pino's mixin, which merges into the object it gets: a copy. Pino asks only for a line it writes, so a request's
 * fields cost nothing on the lines a level leaves out (no child logger per request).
 */
export function currentLogFields(): Record<string, unknown> {
  const store = context.getStore();
  if (!store) return {};
  return store.requestId === undefined
    ? { ...store.fields }
    : { requestId: store.requestId, ...store.fields };
}

/**
 * A method whose every log line carries the fields taken from its first argument, e.g.
 * `@WithLogFields((order: Order) => ({ orderId: order.orderId }))`.
 */
export function WithLogFields<A>(fieldsOf: (first: A) => LogFields) {
  return <M extends (first: A, ...rest: never[]) => unknown>(
    _target: object,
    _name: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const method = descriptor.value!;
    descriptor.value = function (this: unknown, ...args: Parameters<M>) {
      return withLogFields(fieldsOf(args[0]), () => method.apply(this, args));
    } as M;
  };
}
