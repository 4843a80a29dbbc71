/**
 * What the tracing bundle uses in place of Node's `assert` (scripts/build-functions.ts swaps it in for
 * cls-hooked, the X-Ray SDK's context store). cls-hooked only calls `assert.ok` to guard its invariants,
 * and `node:assert` is not in Node's startup snapshot: requiring it compiled its modules on every traced
 * cold start. Here it is required when an assertion fails, and throws the same AssertionError.
 */
export function ok(value: unknown, message?: string | Error): asserts value {
  if (value) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a failing assertion
  const assert: typeof import('node:assert') = require('node:assert');
  assert.ok(value, message);
}
