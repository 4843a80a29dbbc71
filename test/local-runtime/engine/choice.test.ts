import { evaluateRule } from '../../../local-runtime/engine/choice';
import { harness, outputOf } from './helpers';

const data = (input: unknown) => ({ input, context: { Execution: { Name: 'exec-1' } } });

describe('Choice rules', () => {
  const input = {
    s: 'beta',
    n: 10,
    b: true,
    t: '2026-01-01T10:00:00Z',
    other: { s: 'alpha', n: 5, b: true, t: '2026-01-01T09:00:00+00:00' },
    nil: null,
    file: 'release-1.2.3.tar.gz',
  };

  it.each([
    ['StringEquals', { Variable: '$.s', StringEquals: 'beta' }, true],
    ['StringEquals on a number', { Variable: '$.n', StringEquals: '10' }, false],
    ['StringLessThan', { Variable: '$.s', StringLessThan: 'gamma' }, true],
    ['StringGreaterThan', { Variable: '$.s', StringGreaterThan: 'gamma' }, false],
    ['StringLessThanEquals', { Variable: '$.s', StringLessThanEquals: 'beta' }, true],
    ['StringGreaterThanEquals', { Variable: '$.s', StringGreaterThanEquals: 'alpha' }, true],
    ['StringEqualsPath', { Variable: '$.s', StringEqualsPath: '$.other.s' }, false],
    ['StringGreaterThanPath', { Variable: '$.s', StringGreaterThanPath: '$.other.s' }, true],
    ['StringMatches with wildcards', { Variable: '$.file', StringMatches: 'release-*.tar.gz' }, true],
    ['StringMatches without a match', { Variable: '$.file', StringMatches: 'release-*.zip' }, false],
    ['StringMatches with an escaped star', { Variable: '$.s', StringMatches: 'be\\*' }, false],
    ['NumericEquals', { Variable: '$.n', NumericEquals: 10 }, true],
    ['NumericLessThan', { Variable: '$.n', NumericLessThan: 10 }, false],
    ['NumericGreaterThan', { Variable: '$.n', NumericGreaterThan: 9.5 }, true],
    ['NumericLessThanEquals', { Variable: '$.n', NumericLessThanEquals: 10 }, true],
    ['NumericGreaterThanEquals', { Variable: '$.n', NumericGreaterThanEquals: 11 }, false],
    ['NumericGreaterThanPath', { Variable: '$.n', NumericGreaterThanPath: '$.other.n' }, true],
    ['NumericEquals on a string', { Variable: '$.s', NumericEquals: 10 }, false],
    ['BooleanEquals', { Variable: '$.b', BooleanEquals: true }, true],
    ['BooleanEqualsPath', { Variable: '$.b', BooleanEqualsPath: '$.other.b' }, true],
    ['TimestampEquals', { Variable: '$.t', TimestampEquals: '2026-01-01T10:00:00.000Z' }, true],
    ['TimestampLessThan', { Variable: '$.t', TimestampLessThan: '2026-01-01T09:59:59Z' }, false],
    ['TimestampGreaterThan', { Variable: '$.t', TimestampGreaterThan: '2025-12-31T23:59:59Z' }, true],
    ['TimestampLessThanEquals', { Variable: '$.t', TimestampLessThanEquals: '2026-01-01T10:00:00Z' }, true],
    [
      'TimestampGreaterThanEquals',
      { Variable: '$.t', TimestampGreaterThanEquals: '2026-01-02T00:00:00Z' },
      false,
    ],
    ['TimestampGreaterThanPath', { Variable: '$.t', TimestampGreaterThanPath: '$.other.t' }, true],
    [
      'TimestampEquals on a non-timestamp',
      { Variable: '$.s', TimestampEquals: '2026-01-01T10:00:00Z' },
      false,
    ],
    ['IsNull', { Variable: '$.nil', IsNull: true }, true],
    ['IsNull false', { Variable: '$.s', IsNull: false }, true],
    ['IsPresent', { Variable: '$.s', IsPresent: true }, true],
    ['IsPresent on a missing field', { Variable: '$.nope', IsPresent: true }, false],
    ['IsPresent false on a missing field', { Variable: '$.nope', IsPresent: false }, true],
    ['IsNumeric', { Variable: '$.n', IsNumeric: true }, true],
    ['IsString', { Variable: '$.n', IsString: true }, false],
    ['IsBoolean', { Variable: '$.b', IsBoolean: true }, true],
    ['IsTimestamp', { Variable: '$.t', IsTimestamp: true }, true],
    ['IsTimestamp on a date without time', { Variable: '$.s', IsTimestamp: true }, false],
    [
      'And',
      {
        And: [
          { Variable: '$.n', NumericEquals: 10 },
          { Variable: '$.b', BooleanEquals: true },
        ],
      },
      true,
    ],
    [
      'And with one false',
      {
        And: [
          { Variable: '$.n', NumericEquals: 10 },
          { Variable: '$.b', BooleanEquals: false },
        ],
      },
      false,
    ],
    [
      'Or',
      {
        Or: [
          { Variable: '$.n', NumericEquals: 1 },
          { Variable: '$.s', StringEquals: 'beta' },
        ],
      },
      true,
    ],
    ['Not', { Not: { Variable: '$.s', StringEquals: 'beta' } }, false],
    ['a context-object Variable', { Variable: '$$.Execution.Name', StringEquals: 'exec-1' }, true],
  ])('when the rule is %s, it evaluates as expected', (_label, rule, expected) => {
    // Prepare
    const subject = data(input);

    // Act
    const result = evaluateRule(rule as Record<string, unknown>, subject);

    // Assess
    expect(result).toBe(expected);
  });

  it('when a comparison Variable does not exist, it raises States.Runtime', () => {
    // Prepare
    const rule = { Variable: '$.missing', StringEquals: 'x' };

    // Act
    const act = (): boolean => evaluateRule(rule, data(input));

    // Assess
    expect(act).toThrow(expect.objectContaining({ error: 'States.Runtime' }));
  });

  const machine = {
    StartAt: 'Route',
    States: {
      Route: {
        Type: 'Choice',
        InputPath: '$.payload',
        OutputPath: '$.tag',
        Choices: [
          { Variable: '$.kind', StringEquals: 'a', Next: 'A' },
          {
            And: [
              { Variable: '$.kind', StringEquals: 'b' },
              { Variable: '$.n', NumericGreaterThan: 1 },
            ],
            Next: 'B',
          },
        ],
        Default: 'Other',
      },
      A: { Type: 'Pass', Result: 'went A', End: true },
      B: { Type: 'Pass', Result: 'went B', End: true },
      Other: { Type: 'Pass', End: true },
    },
  };

  it.each([
    [{ payload: { kind: 'a', tag: 't' } }, 'went A'],
    [{ payload: { kind: 'b', n: 2, tag: 't' } }, 'went B'],
    [{ payload: { kind: 'b', n: 0, tag: 'default-tag' } }, 'default-tag'],
  ])(
    'when a Choice state receives %j, it follows the first matching rule or Default',
    async (input, expected) => {
      // Prepare
      const h = harness();

      // Act
      const result = await h.run(machine, input);

      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(outputOf(result)).toBe(expected);
    },
  );

  it('when no rule matches and there is no Default, the execution fails with States.NoChoiceMatched', async () => {
    // Prepare
    const h = harness();
    const definition = {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'Done' }] },
        Done: { Type: 'Succeed' },
      },
    };

    // Act
    const result = await h.run(definition, { x: 2 });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.NoChoiceMatched');
  });
});
