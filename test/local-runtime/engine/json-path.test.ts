import { StatesError } from '../../../local-runtime/engine/errors';
import {
  applyFilterPath,
  applyResultPath,
  isDefinitePath,
  readPath,
  readReferencePath,
  safeJson,
  tryReadReferencePath,
} from '../../../local-runtime/engine/json-path';

/**
 * The JSONPath rules of the local runtime one case a row (mutation-tested, docs/mutation-testing.md): which
 * paths are definite, what a reference path reads (missing against null), and where ResultPath writes.
 */
const INPUT = {
  a: { b: [10, { c: 'deep' }], 'c d': 1, "it's": 2, 'x"y': 3, 'back\\slash': 4, nil: null },
  items: [{ id: 1 }, { id: 2 }],
  one: [{ id: 7 }],
  empty: [],
  top: 'level',
};
const CONTEXT = { Execution: { Name: 'exec-1' }, State: { Name: 'S' } };
const DATA = { input: INPUT, context: CONTEXT };

function errorOf(run: () => unknown): StatesError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error('expected a StatesError, nothing was thrown');
}

describe('JSONPath handling', () => {
  it.each<[string, boolean]>([
    ['$', true],
    ['$.a', true],
    ['$.a.b[0]', true],
    ["$['c d']", true],
    ['$["c d"]', true],
    ["$.a['it\\'s']", true],
    ['$$.Execution.Name', true],
    ['$.a[12]', true],
    ['$..a', false],
    ['$.a..b', false],
    ['$.*', false],
    ['$.', false],
    ['$.a.', false],
    ['$.a[*]', false],
    ['$.a[-1]', false],
    ['$.a[0:2]', false],
    ['$.a[0,1]', false],
    ['$.a[?(@.id)]', false],
    ['$.length()', false],
    ['$.a[0', false],
    ["$['a'", false],
    ["$['a'x", false],
    ["$['a", false],
    ['$x0]', false],
    ['a.b', false],
    ['$a', false],
    ['', false],
  ])('when the path is %j, isDefinitePath says %s', (path, expected) => {
    // Act
    const result = isDefinitePath(path);

    // Assess
    expect(result).toBe(expected);
  });

  it.each<[string, { found: boolean; value?: unknown }]>([
    ['$', { found: true, value: INPUT }],
    ['$.top', { found: true, value: 'level' }],
    ['$.a.b[0]', { found: true, value: 10 }],
    ['$.a.b[1].c', { found: true, value: 'deep' }],
    ['$.a.b[2]', { found: false }],
    ["$.a['c d']", { found: true, value: 1 }],
    ['$.a["c d"]', { found: true, value: 1 }],
    ["$.a['it\\'s']", { found: true, value: 2 }],
    ["$.a['x\"y']", { found: true, value: 3 }],
    ["$.a['back\\\\slash']", { found: true, value: 4 }],
    ['$.a.nil', { found: true, value: null }],
    ['$.a.nil.x', { found: false }],
    ['$.a.missing', { found: false }],
    ['$.top.length', { found: false }],
    ['$.items.length', { found: false }],
    ['$.items.0', { found: false }],
    ['$.a[0]', { found: false }],
    ['$.a.toString', { found: false }],
    ['$.top[0]', { found: false }],
    ['$$.Execution.Name', { found: true, value: 'exec-1' }],
    ['$$.Missing', { found: false }],
    ['$.one[*].id', { found: true, value: 7 }],
    ['$.empty[*]', { found: false }],
  ])('when the reference path %j is read, the result is %j', (path, expected) => {
    // Act
    const result = tryReadReferencePath(path, DATA);

    // Assess
    expect(result).toEqual(expected);
  });

  it('when a reference path selects several values, it fails with States.Runtime naming the path', () => {
    // Act
    const error = errorOf(() => tryReadReferencePath('$.items[*].id', DATA));

    // Assess
    expect(error.error).toBe('States.Runtime');
    expect(error.causeText).toBe("The reference path '$.items[*].id' selects more than one value");
  });

  it('when a filter expression does not parse, it fails with States.Runtime naming the path and the problem', () => {
    // Act
    const error = errorOf(() => readPath('$.items[?(@.id===)]', DATA));

    // Assess
    expect(error.error).toBe('States.Runtime');
    // The problem is jsonpath-plus's own words (its parser's message), after the path.
    expect(error.causeText).toMatch(/^Invalid JSONPath '\$\.items\[\?\(@\.id===\)\]': Expected expression/);
  });

  it('when an indefinite path is read against a non-object, it selects nothing', () => {
    // Act
    const results = [
      tryReadReferencePath('$[*]', { input: 'text', context: {} }),
      readPath('$[*]', { input: null, context: {} }),
      readPath('$[*]', { input: 5, context: {} }),
    ];

    // Assess
    expect(results).toEqual([{ found: false }, [], []]);
  });

  it('when a missing reference path is read, the error names the path, the field and the input', () => {
    // Act
    const error = errorOf(() => readReferencePath('$.nope', { input: { a: 1 }, context: {} }, 'InputPath'));

    // Assess
    expect(error.error).toBe('States.Runtime');
    expect(error.causeText).toBe(
      `The JSONPath '$.nope' specified for the field 'InputPath' could not be found in the input '{"a":1}'`,
    );
  });

  it('when a missing reference path is read without a field name, the error says path', () => {
    // Act
    const error = errorOf(() => readReferencePath('$.nope', { input: {}, context: {} }));

    // Assess
    expect(error.causeText).toContain("for the field 'path'");
  });

  it.each<[string, unknown]>([
    ['$.a.b[0]', 10],
    ['$.items[*].id', [1, 2]],
    ['$.one[*].id', [7]],
    ['$.empty[*]', []],
    ['$$.Execution.Name', 'exec-1'],
    ['$$.*', [{ Name: 'exec-1' }, { Name: 'S' }]],
  ])('when the general path %j is read, it yields %j', (path, expected) => {
    // Act
    const result = readPath(path, DATA);

    // Assess
    expect(result).toEqual(expected);
  });

  it('when a missing definite general path is read, it fails naming the field', () => {
    // Act
    const error = errorOf(() => readPath('$.nope', DATA, 'ItemsPath'));

    // Assess
    expect(error.causeText).toContain("for the field 'ItemsPath'");
    expect(errorOf(() => readPath('$.nope', DATA)).causeText).toContain("for the field 'path'");
  });

  it.each<[string, string | null | undefined, unknown]>([
    ['absent', undefined, INPUT],
    ['$', '$', INPUT],
    ['null', null, {}],
    ['a field', '$.top', 'level'],
    ['an indefinite path', '$.items[*].id', [1, 2]],
    ['the context', '$$.State.Name', 'S'],
  ])('when InputPath/OutputPath is %s, the filtered value is as ASL says', (_name, path, expected) => {
    // Act
    const result = applyFilterPath(path, INPUT, CONTEXT, 'InputPath');

    // Assess
    expect(result).toEqual(expected);
  });

  it.each<[string, unknown, string | null | undefined, unknown]>([
    ['absent: the result replaces the input', { a: 1 }, undefined, 'R'],
    ['$: the result replaces the input', { a: 1 }, '$', 'R'],
    ['null: the input passes through', { a: 1 }, null, { a: 1 }],
    ['a new top field', { a: 1 }, '$.r', { a: 1, r: 'R' }],
    ['an existing field, replaced', { a: 1 }, '$.a', { a: 'R' }],
    ['a nested path, intermediate objects created', { a: 1 }, '$.x.y.z', { a: 1, x: { y: { z: 'R' } } }],
    ['into an existing object', { x: { k: 1 } }, '$.x.y', { x: { k: 1, y: 'R' } }],
    ['an array element', { l: [1, 2] }, '$.l[1]', { l: [1, 'R'] }],
    ['a field of an array element', { l: [{ k: 1 }] }, '$.l[0].v', { l: [{ k: 1, v: 'R' }] }],
    ['an element of a nested array', { l: [[1, 2]] }, '$.l[0][0]', { l: [['R', 2]] }],
    ['an element of a top array', [1, 2], '$[0]', ['R', 2]],
    ['a bracketed key', { a: 1 }, "$['c d']", { a: 1, 'c d': 'R' }],
    ['a field that holds null, replaced', { n: null }, '$.n', { n: 'R' }],
  ])('when ResultPath is %s, the output is as ASL says', (_name, input, path, expected) => {
    // Act
    const output = applyResultPath(input, path, 'R');

    // Assess
    expect(output).toEqual(expected);
  });

  it('when ResultPath writes, the raw input is left unchanged', () => {
    // Prepare
    const input = { x: { y: 1 } };

    // Act
    applyResultPath(input, '$.x.y', 2);

    // Assess
    expect(input).toEqual({ x: { y: 1 } });
  });

  it.each<[string, unknown, string]>([
    ['a string input', 'text', '$.a'],
    ['a null input', null, '$.a'],
    ['an index past the end', { l: [1] }, '$.l[1]'],
    ['an index into an object', { l: { 0: 1 } }, '$.l[0]'],
    ['an index past the end, not last', { l: [1] }, '$.l[1].x'],
    ['a key into an array', { l: [1] }, '$.l.x'],
    ['a key into a top array', [1], '$.x'],
    ['through a string field', { a: 'text' }, '$.a.b'],
    ['through a null field', { a: null }, '$.a.b'],
    ['through a number element', { l: [1] }, '$.l[0].x'],
    ['through a null element', { l: [null] }, '$.l[0].x'],
  ])(
    'when ResultPath cannot be applied (%s), it fails with States.ResultPathMatchFailure',
    (_name, input, path) => {
      // Act
      const error = errorOf(() => applyResultPath(input, path, 'R'));

      // Assess
      expect(error.error).toBe('States.ResultPathMatchFailure');
      expect(error.causeText).toBe(
        `Unable to apply ResultPath '${path}' to input '${JSON.stringify(input)}'`,
      );
    },
  );

  it.each([['$.items[*]'], ['$$.Execution'], ['$..a'], ['items']])(
    'when ResultPath is %j, it is refused as no valid reference path',
    (path) => {
      // Act
      const error = errorOf(() => applyResultPath({}, path, 'R'));

      // Assess
      expect(error.error).toBe('States.Runtime');
      expect(error.causeText).toBe(`ResultPath '${path}' is not a valid reference path`);
    },
  );

  it.each<[string, unknown, string]>([
    ['a small object', { a: 1 }, '{"a":1}'],
    ['undefined', undefined, 'undefined'],
    ['256 characters', 'x'.repeat(254), `"${'x'.repeat(254)}"`],
    ['257 characters', 'x'.repeat(255), `"${'x'.repeat(255)}`.slice(0, 256) + '...'],
    ['a BigInt (JSON cannot)', 10n, '10'],
  ])('when %s is shown in an error, safeJson gives its text', (_name, value, expected) => {
    // Act
    const text = safeJson(value);

    // Assess
    expect(text).toBe(expected);
  });
});
