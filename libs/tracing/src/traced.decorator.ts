import 'reflect-metadata';
import { inSpan } from './spans';

/**
 * Runs the (async) method as a span named `name`, a child of the current one: a saga step or a charge shows up in
 * its order's trace. Metadata other decorators put on the method is kept.
 */
export function Traced(name: string): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    const traced = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      return inSpan(name, () => method.apply(this, args));
    };
    for (const key of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, method), traced);
    }
    descriptor.value = traced;
  };
}
