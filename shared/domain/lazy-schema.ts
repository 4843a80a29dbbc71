/**
 * A schema built on its first use instead of at import. Building zod schemas is most of what importing the
 * step schemas costs (docs/cold-start.md: about a quarter of a bare `require('@aws-sdk/client-sfn')`), and
 * a function uses few of the schemas its modules define. The result stands for the schema in every way the
 * code uses one (`parse`, `safeParse`, `extend`, `pick`, nesting in another schema, `instanceof`), so the
 * modules keep exporting `fooSchema`, with the same type.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  // The proxy's own target stays an empty object: every operation goes to the built schema.
  return new Proxy({} as T, {
    get: (_, key) => {
      const target = schema();
      return Reflect.get(target, key, target) as unknown;
    },
    set: (_, key, value) => {
      const target = schema();
      return Reflect.set(target, key, value, target);
    },
    has: (_, key) => Reflect.has(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
