import { evaluateRule, parseTimestamp, validateChoiceRule } from '../../../local-runtime/engine/choice';
import { StatesError } from '../../../local-runtime/engine/errors';
import type { ChoiceRule } from '../../../local-runtime/engine/types';

/**
 * Every comparison operator of a Choice rule against a value below, equal to and above its operand (the
 * boundary is where `>=` and `>` differ), in literal and Path form, and with operands of the wrong type.
 */
const FAMILIES = {
  String: { below: 'apple', equal: 'banana', above: 'cherry', operand: 'banana', wrongType: 2 },
  Numeric: { below: 9.5, equal: 10, above: 10.5, operand: 10, wrongType: '10' },
  Timestamp: {
    below: '2026-01-01T23:59:59Z',
    equal: '2026-01-02T00:00:00Z',
    above: '2026-01-02T00:00:00.001Z',
    operand: '2026-01-02T00:00:00Z',
    wrongType: 'yesterday',
  },
} as const;

const TRUTH: Record<string, [below: boolean, equal: boolean, above: boolean]> = {
  Equals: [false, true, false],
  LessThan: [true, false, false],
  GreaterThan: [false, false, true],
  LessThanEquals: [true, true, false],
  GreaterThanEquals: [false, true, true],
};

type Row = [operator: string, where: 'below' | 'equal' | 'above' | 'wrong type', expected: boolean];
const rows: Row[] = Object.keys(FAMILIES).flatMap((family) =>
  Object.entries(TRUTH).flatMap(([op, [below, equal, above]]) =>
    ['', 'Path'].flatMap((path): Row[] => [
      [`${family}${op}${path}`, 'below', below],
      [`${family}${op}${path}`, 'equal', equal],
      [`${family}${op}${path}`, 'above', above],
      [`${family}${op}${path}`, 'wrong type', false],
    ]),
  ),
);

describe('Choice comparison operators', () => {
  it.each(rows)('%s with a value %s the operand is %s', (operator, where, expected) => {
    // Prepare
    const family =
      FAMILIES[Object.keys(FAMILIES).find((f) => operator.startsWith(f)) as keyof typeof FAMILIES];
    const value = where === 'wrong type' ? family.wrongType : family[where];
    const isPath = operator.endsWith('Path');
    const rule = { Variable: '$.value', [operator]: isPath ? '$.operand' : family.operand } as ChoiceRule;

    // Act
    const result = evaluateRule(rule, { input: { value, operand: family.operand }, context: {} });

    // Assess
    expect(result).toBe(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['equal', true, true],
    ['different', false, false],
    ['a string', 'true', false],
  ])('BooleanEquals with a %s value is %s', (_what, value, expected) => {
    const data = { input: { value, operand: true }, context: {} };
    expect(evaluateRule({ Variable: '$.value', BooleanEquals: true } as ChoiceRule, data)).toBe(expected);
    expect(evaluateRule({ Variable: '$.value', BooleanEqualsPath: '$.operand' } as ChoiceRule, data)).toBe(
      expected,
    );
  });

  it.each<[string, string, unknown, boolean]>([
    ['IsNull', 'null', null, true],
    ['IsNull', 'a string', 'x', false],
    ['IsNumeric', 'a number', 0, true],
    ['IsNumeric', 'a numeric string', '1', false],
    ['IsString', 'a string', '', true],
    ['IsString', 'a number', 1, false],
    ['IsBoolean', 'false', false, true],
    ['IsBoolean', 'null', null, false],
    ['IsTimestamp', 'an RFC 3339 timestamp', '2026-01-02T00:00:00+01:00', true],
    ['IsTimestamp', 'a date only', '2026-01-02', false],
    ['IsTimestamp', 'a lowercase t', '2026-01-02t00:00:00Z', false],
    ['IsTimestamp', 'no offset', '2026-01-02T00:00:00', false],
  ])('%s of %s is %s (and its negation the opposite)', (operator, _what, value, expected) => {
    const data = { input: { value }, context: {} };
    expect(evaluateRule({ Variable: '$.value', [operator]: true } as ChoiceRule, data)).toBe(expected);
    expect(evaluateRule({ Variable: '$.value', [operator]: false } as ChoiceRule, data)).toBe(!expected);
  });

  it.each<[string, boolean, boolean]>([
    ['a present field', true, true],
    ['a missing field', false, false],
  ])('IsPresent of %s is %s', (_what, present, expected) => {
    const data = { input: present ? { value: null } : {}, context: {} };
    expect(evaluateRule({ Variable: '$.value', IsPresent: true } as ChoiceRule, data)).toBe(expected);
    expect(evaluateRule({ Variable: '$.value', IsPresent: false } as ChoiceRule, data)).toBe(!expected);
  });

  it.each<[string, string, boolean]>([
    ['log-*.txt', 'log-2026.txt', true],
    ['log-*.txt', 'log-.txt', true],
    ['log-*.txt', 'xlog-1.txt', false],
    ['log-*.txt', 'log-1.txt.gz', false],
    ['*', '', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\\\b', 'a\\b', true],
    ['a.c', 'abc', false],
    ['line*end', 'line\nend', true],
  ])('StringMatches %j against %j is %s', (pattern, value, expected) => {
    const data = { input: { value }, context: {} };
    expect(evaluateRule({ Variable: '$.value', StringMatches: pattern } as ChoiceRule, data)).toBe(expected);
  });

  it('StringMatches of a number is false', () => {
    const data = { input: { value: 5 }, context: {} };
    expect(evaluateRule({ Variable: '$.value', StringMatches: '*' } as ChoiceRule, data)).toBe(false);
  });

  it.each<[string, ChoiceRule, boolean]>([
    [
      'And, all true',
      {
        And: [
          { Variable: '$.n', NumericEquals: 1 },
          { Variable: '$.s', StringEquals: 'x' },
        ],
      },
      true,
    ],
    [
      'And, one false',
      {
        And: [
          { Variable: '$.n', NumericEquals: 1 },
          { Variable: '$.s', StringEquals: 'y' },
        ],
      },
      false,
    ],
    [
      'Or, one true',
      {
        Or: [
          { Variable: '$.n', NumericEquals: 2 },
          { Variable: '$.s', StringEquals: 'x' },
        ],
      },
      true,
    ],
    [
      'Or, none true',
      {
        Or: [
          { Variable: '$.n', NumericEquals: 2 },
          { Variable: '$.s', StringEquals: 'y' },
        ],
      },
      false,
    ],
    ['Not of true', { Not: { Variable: '$.n', NumericEquals: 1 } }, false],
    ['Not of false', { Not: { Variable: '$.n', NumericEquals: 2 } }, true],
  ] as [string, ChoiceRule, boolean][])('%s is %s', (_what, rule, expected) => {
    expect(evaluateRule(rule, { input: { n: 1, s: 'x' }, context: {} })).toBe(expected);
  });

  it.each<[string, ChoiceRule]>([
    ['a missing Variable', { Variable: '$.missing', NumericEquals: 1 } as ChoiceRule],
    ['a missing Path operand', { Variable: '$.n', NumericEqualsPath: '$.missing' } as ChoiceRule],
  ])('when a rule reads %s, it fails with States.Runtime', (_what, rule) => {
    expect(() => evaluateRule(rule, { input: { n: 1 }, context: {} })).toThrow(StatesError);
  });

  it('when a rule has no operator, it fails with States.Runtime naming the rule', () => {
    expect(() => evaluateRule({ Variable: '$.n' } as ChoiceRule, { input: { n: 1 }, context: {} })).toThrow(
      'Invalid Choice rule {"Variable":"$.n"}',
    );
  });

  // Values of the wrong type never compare, whichever side they are on: JavaScript would coerce them
  // (5 < "6" is true), Step Functions does not.
  it.each<[string, ChoiceRule, boolean]>([
    ['StringLessThan on a number', { Variable: '$.five', StringLessThan: '6' } as ChoiceRule, false],
    [
      'StringLessThanPath to a number',
      { Variable: '$.text5', StringLessThanPath: '$.six' } as ChoiceRule,
      false,
    ],
    [
      'StringEqualsPath to a string',
      { Variable: '$.text5', StringEqualsPath: '$.text5' } as ChoiceRule,
      true,
    ],
    [
      'NumericLessThanPath to a string',
      { Variable: '$.five', NumericLessThanPath: '$.text10' } as ChoiceRule,
      false,
    ],
    [
      'BooleanEqualsPath between equal strings',
      { Variable: '$.text5', BooleanEqualsPath: '$.text5' } as ChoiceRule,
      false,
    ],
    [
      'BooleanEqualsPath between equal booleans',
      { Variable: '$.yes', BooleanEqualsPath: '$.yes' } as ChoiceRule,
      true,
    ],
    [
      'TimestampEqualsPath to a non-timestamp',
      { Variable: '$.at', TimestampEqualsPath: '$.text5' } as ChoiceRule,
      false,
    ],
    [
      'TimestampEqualsPath from a non-timestamp',
      { Variable: '$.text5', TimestampEqualsPath: '$.at' } as ChoiceRule,
      false,
    ],
    [
      'TimestampEqualsPath to the same timestamp',
      { Variable: '$.at', TimestampEqualsPath: '$.at' } as ChoiceRule,
      true,
    ],
    [
      'IsTimestamp on a list holding a timestamp',
      { Variable: '$.atList', IsTimestamp: true } as ChoiceRule,
      false,
    ],
    [
      'StringMatches with a number as pattern',
      { Variable: '$.empty', StringMatches: 5 } as unknown as ChoiceRule,
      false,
    ],
  ])('%s: %j is %s', (_what, rule, expected) => {
    const input = {
      five: 5,
      six: 6,
      text5: '5',
      text10: '10',
      yes: true,
      at: '2026-01-02T00:00:00Z',
      atList: ['2026-01-02T00:00:00Z'],
      empty: '',
    };
    expect(evaluateRule(rule, { input, context: {} })).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['a\\', 'a\\', true], // a trailing backslash is itself
    ['a', 'a\\', false],
  ])('StringMatches: %j against the pattern %j is %s', (value, pattern, expected) => {
    const rule = { Variable: '$.value', StringMatches: pattern } as ChoiceRule;
    expect(evaluateRule(rule, { input: { value }, context: {} })).toBe(expected);
  });

  it('when a rule’s Variable is not a path, it fails with States.Runtime naming the rule', () => {
    const rule = { Variable: 5, NumericEquals: 1 } as unknown as ChoiceRule;
    expect(() => evaluateRule(rule, { input: { n: 1 }, context: {} })).toThrow(
      'Invalid Choice rule {"Variable":5,"NumericEquals":1}',
    );
  });

  it('when a Variable is missing, the error names the field Variable', () => {
    const rule = { Variable: '$.missing', NumericEquals: 1 } as ChoiceRule;
    expect(() => evaluateRule(rule, { input: { n: 1 }, context: {} })).toThrow(
      "The JSONPath '$.missing' specified for the field 'Variable' could not be found in the input '{\"n\":1}'",
    );
  });

  it('a Variable may read the context object', () => {
    const data = { input: {}, context: { Execution: { RedriveCount: 2 } } };
    expect(
      evaluateRule(
        { Variable: '$$.Execution.RedriveCount', NumericGreaterThanEquals: 2 } as ChoiceRule,
        data,
      ),
    ).toBe(true);
  });
});

describe('parseTimestamp', () => {
  it.each<[unknown, number]>([
    ['2026-01-02T00:00:00Z', Date.UTC(2026, 0, 2)],
    ['2026-01-02T01:00:00+01:00', Date.UTC(2026, 0, 2)],
    ['2026-01-02T00:00:00.250Z', Date.UTC(2026, 0, 2) + 250],
    ['2026-01-02 00:00:00Z', Number.NaN],
    [20260102, Number.NaN],
  ])('%j is %d', (value, expected) => {
    expect(parseTimestamp(value)).toBe(expected);
  });
});

describe('validateChoiceRule', () => {
  it.each<[string, unknown, boolean, string | undefined]>([
    ['a valid top-level rule', { Variable: '$.n', NumericEquals: 1, Next: 'A' }, true, undefined],
    ['a nested rule', { Variable: '$.n', NumericEquals: 1 }, false, undefined],
    ['not an object', 'x', true, 'Choices[0]: a Choice rule must be an object'],
    ['an array', [], true, 'Choices[0]: a Choice rule must be an object'],
    [
      'a top-level rule without Next',
      { Variable: '$.n', NumericEquals: 1 },
      true,
      'Choices[0]: a top-level Choice rule needs Next',
    ],
    [
      'a nested rule with Next',
      { Variable: '$.n', NumericEquals: 1, Next: 'A' },
      false,
      'Choices[0]: a nested Choice rule must not have Next',
    ],
    ['an empty And', { And: [], Next: 'A' }, true, 'Choices[0]: And/Or need a non-empty array'],
    ['an Or that is no array', { Or: {}, Next: 'A' }, true, 'Choices[0]: And/Or need a non-empty array'],
    [
      'a bad rule inside And',
      { And: [{ Variable: 'n', NumericEquals: 1 }], Next: 'A' },
      true,
      'Choices[0].And[0]: Variable must be a path',
    ],
    [
      'a bad rule inside Or',
      { Or: [{ Variable: '$.n' }], Next: 'A' },
      true,
      'Choices[0].Or[0]: expected exactly one comparison operator, found none',
    ],
    [
      'a bad rule inside Not',
      { Not: { Variable: '$.n', NumericEquals: 1, Next: 'B' }, Next: 'A' },
      true,
      'Choices[0].Not: a nested Choice rule must not have Next',
    ],
    [
      'a Variable that is no path',
      { Variable: 'n', NumericEquals: 1, Next: 'A' },
      true,
      'Choices[0]: Variable must be a path',
    ],
    [
      'two operators',
      { Variable: '$.n', NumericEquals: 1, NumericLessThan: 2, Next: 'A' },
      true,
      'Choices[0]: expected exactly one comparison operator, found NumericEquals, NumericLessThan',
    ],
  ])('%s', (_what, rule, topLevel, error) => {
    const validate = () => validateChoiceRule(rule, 'Choices[0]', topLevel);
    if (error) expect(validate).toThrow(error);
    else expect(validate).not.toThrow();
  });
});
