/**
 * An object created on its first use that stands for it in every use: property reads (its class's methods
 * come bound to the object, which keeps their private fields working), writes, deletes, `in` and
 * `instanceof`. Tests spy on its methods as on the object itself. What a Lambda function wires at init but
 * may not reach on an invocation (a logger, an AWS client behind a store) costs nothing until it is used.
 */
export function onFirstUse<T extends object>(create: () => T): T {
  let created: T | undefined;
  const target = (): T => (created ??= create());
  return new Proxy({} as T, {
    get: (_, key) => {
      const object = target();
      const value = Reflect.get(object, key, object) as unknown;
      // A method of the class runs on the object; one set on the object itself (a test's spy) is returned as is.
      return typeof value === 'function' && !Object.prototype.hasOwnProperty.call(object, key)
        ? (value as (...args: unknown[]) => unknown).bind(object)
        : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    deleteProperty: (_, key) => Reflect.deleteProperty(target(), key),
    has: (_, key) => Reflect.has(target(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
}
