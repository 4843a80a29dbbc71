import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { usePropertySeed } from '../../helpers/property-seed';
import { evaluateIntrinsic } from '../../../local-runtime/engine/intrinsics';
import { harness, outputOf, single } from './helpers';

usePropertySeed();

const input = {
  name: 'ada',
  n: 3,
  list: [1, 2, 3, 2],
  json: '{"a":1}',
  obj: { a: 1, b: 2 },
  other: { b: 3, c: 4 },
};
const evaluate = (expression: string): unknown =>
  evaluateIntrinsic(expression, { input, context: { Execution: { Name: 'exec' } } }, { random: () => 0.5 });

describe('intrinsic functions', () => {
  it.each([
    ["States.Format('Hello, {}! You are {}.', $.name, $.n)", 'Hello, ada! You are 3.'],
    [
      "States.Format('literal \\{\\} and \\'quotes\\' for {}', $$.Execution.Name)",
      "literal {} and 'quotes' for exec",
    ],
    ['States.StringToJson($.json)', { a: 1 }],
    ['States.JsonToString($.obj)', '{"a":1,"b":2}'],
    ["States.Array('a', 1, true, null, $.n)", ['a', 1, true, null, 3]],
    ['States.ArrayPartition($.list, 3)', [[1, 2, 3], [2]]],
    ['States.ArrayContains($.list, 2)', true],
    ['States.ArrayContains($.list, 9)', false],
    ['States.ArrayRange(1, 9, 2)', [1, 3, 5, 7, 9]],
    ['States.ArrayRange(5, 1, -2)', [5, 3, 1]],
    ['States.ArrayGetItem($.list, 1)', 2],
    ['States.ArrayLength($.list)', 4],
    ['States.ArrayUnique($.list)', [1, 2, 3]],
    ["States.Base64Encode('hello')", 'aGVsbG8='],
    ["States.Base64Decode('aGVsbG8=')", 'hello'],
    ["States.Hash('hello', 'SHA-256')", createHash('sha256').update('hello').digest('hex')],
    ["States.Hash('hello', 'MD5')", createHash('md5').update('hello').digest('hex')],
    ['States.JsonMerge($.obj, $.other, false)', { a: 1, b: 3, c: 4 }],
    ['States.MathRandom(10, 20)', 15],
    ['States.MathAdd($.n, -1)', 2],
    ["States.StringSplit('a,b;;c', ',;')", ['a', 'b', 'c']],
    ["States.ArrayLength(States.StringSplit(States.Format('{}-{}', 'x', 'y'), '-'))", 2],
  ])('when evaluating %s, it returns the expected value', (expression, expected) => {
    // Act
    const result = evaluate(expression);

    // Assess
    expect(result).toEqual(expected);
  });

  it('when States.UUID is called, it returns a v4 UUID', () => {
    // Act
    const result = evaluate('States.UUID()');

    // Assess
    expect(result).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('when States.MathRandom has a seed, it is deterministic', () => {
    // Act
    const first = evaluate('States.MathRandom(0, 1000, 42)');
    const second = evaluate('States.MathRandom(0, 1000, 42)');

    // Assess
    expect(first).toBe(second);
    expect(first).toEqual(expect.any(Number));
  });

  it.each([
    ['States.ArrayGetItem($.list, 10)'],
    ["States.Format('{} {}', 'only one')"],
    ["States.StringToJson('not json')"],
    ["States.Hash('x', 'SHA-3')"],
    // The ASL spec: a States.Format Value "MUST NOT be a JSON array or object"; MathAdd's "arguments MUST be integers".
    ["States.Format('{}', States.Array(1, 'a'))"],
    ['States.MathAdd(1.5, 1)'],
    ['States.NoSuchFunction()'],
    ["States.Format('unterminated)"],
  ])('when %s is invalid, it raises States.IntrinsicFailure', (expression) => {
    // Act
    const act = (): unknown => evaluate(expression);

    // Assess
    expect(act).toThrow(expect.objectContaining({ error: 'States.IntrinsicFailure' }));
  });

  it('when an intrinsic is used in Parameters, the state output carries its value', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Pass',
      Parameters: { 'message.$': "States.Format('{} has {} items', $.name, States.ArrayLength($.list))" },
    });

    // Act
    const result = await h.run(definition, input);

    // Assess
    expect(outputOf(result)).toEqual({ message: 'ada has 4 items' });
  });

  it('when a definition has a malformed intrinsic, createStateMachine rejects it', async () => {
    // Prepare
    const h = harness();

    // Act
    const act = h.machine(single({ Type: 'Pass', Parameters: { 'x.$': "States.Format('oops'" } }));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });
});

describe('intrinsic function properties', () => {
  it('when any int array is partitioned, flattening the chunks gives it back and no chunk exceeds the size', () => {
    // Prepare
    const property = fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 10 }), (list, size) => {
      // Act
      const chunks = evaluateIntrinsic(
        `States.ArrayPartition($.list, ${size})`,
        { input: { list }, context: {} },
        { random: Math.random },
      ) as unknown[][];

      // Assess
      expect(chunks.flat()).toEqual(list);
      expect(chunks.every((chunk) => chunk.length >= 1 && chunk.length <= size)).toBe(true);
    });

    // Assess
    fc.assert(property);
  });

  it('when any string is Base64 encoded then decoded, it round-trips', () => {
    // Prepare
    const property = fc.property(fc.string(), (text) => {
      // Act
      const decoded = evaluateIntrinsic(
        'States.Base64Decode(States.Base64Encode($.text))',
        { input: { text }, context: {} },
        { random: Math.random },
      );

      // Assess
      expect(decoded).toBe(text);
    });

    // Assess
    fc.assert(property);
  });
});
