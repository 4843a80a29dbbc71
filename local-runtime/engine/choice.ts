/**
 * Choice rule evaluation. A comparison whose operand has the wrong type is simply false (per the ASL spec);
 * a Variable (or *Path operand) that does not exist raises States.Runtime, except for IsPresent.
 */
import { StatesError, StatesErrors } from './errors';
import { readReferencePath, tryReadReferencePath, type PathData } from './json-path';
import type { ChoiceRule } from './types';

const comparisonFamilies = {
  String: ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals'],
  Numeric: ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals'],
  Timestamp: ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals'],
  Boolean: ['Equals'],
} as const;

const typeTests = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const;

/** Every operator a rule with a Variable may use. */
export const choiceOperators: ReadonlySet<string> = new Set<string>([
  ...Object.entries(comparisonFamilies).flatMap(([family, ops]) =>
    ops.flatMap((op) => [`${family}${op}`, `${family}${op}Path`]),
  ),
  'StringMatches',
  ...typeTests,
]);

const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp as Step Functions accepts it (uppercase T, explicit offset); NaN if invalid. */
export function parseTimestamp(value: unknown): number {
  if (typeof value !== 'string' || !timestampPattern.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** `*` matches any run of characters; `\*` and `\\` are literal. */
function stringMatches(value: string, pattern: string): boolean {
  let regex = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\' && i + 1 < pattern.length) {
      regex += escapeRegex(pattern[i + 1] ?? '');
      i++;
    } else if (ch === '*') regex += '[\\s\\S]*';
    else regex += escapeRegex(ch);
  }
  return new RegExp(`${regex}$`).test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compare(op: string, a: number | string, b: number | string): boolean {
  switch (op) {
    case 'Equals':
      return a === b;
    case 'LessThan':
      return a < b;
    case 'GreaterThan':
      return a > b;
    case 'LessThanEquals':
      return a <= b;
    case 'GreaterThanEquals':
      return a >= b;
    default:
      return false;
  }
}

/** Evaluates one (possibly compound) Choice rule against the state's effective input. */
export function evaluateRule(rule: ChoiceRule, data: PathData): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((r) => evaluateRule(r, data));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((r) => evaluateRule(r, data));
  if (rule.Not !== undefined) return !evaluateRule(rule.Not as ChoiceRule, data);

  const variable = rule.Variable;
  const operator = Object.keys(rule).find((key) => choiceOperators.has(key));
  if (typeof variable !== 'string' || !operator) {
    throw new StatesError(StatesErrors.Runtime, `Invalid Choice rule ${JSON.stringify(rule)}`);
  }
  const expected: unknown = rule[operator];

  if (operator === 'IsPresent') return tryReadReferencePath(variable, data).found === expected;
  const value = readReferencePath(variable, data, 'Variable');

  switch (operator) {
    case 'IsNull':
      return (value === null) === expected;
    case 'IsNumeric':
      return (typeof value === 'number') === expected;
    case 'IsString':
      return (typeof value === 'string') === expected;
    case 'IsBoolean':
      return (typeof value === 'boolean') === expected;
    case 'IsTimestamp':
      return !Number.isNaN(parseTimestamp(value)) === expected;
    case 'StringMatches':
      return typeof value === 'string' && typeof expected === 'string' && stringMatches(value, expected);
  }

  const isPath = operator.endsWith('Path');
  const base = isPath ? operator.slice(0, -4) : operator;
  const operand = isPath ? readReferencePath(String(expected), data, operator) : expected;
  const family = (['String', 'Numeric', 'Timestamp', 'Boolean'] as const).find((f) => base.startsWith(f));
  const op = family ? base.slice(family.length) : '';
  switch (family) {
    case 'String':
      return typeof value === 'string' && typeof operand === 'string' && compare(op, value, operand);
    case 'Numeric':
      return typeof value === 'number' && typeof operand === 'number' && compare(op, value, operand);
    case 'Boolean':
      return typeof value === 'boolean' && value === operand;
    case 'Timestamp': {
      const a = parseTimestamp(value);
      const b = parseTimestamp(operand);
      return !Number.isNaN(a) && !Number.isNaN(b) && compare(op, a, b);
    }
    default:
      return false;
  }
}

/** Structural check used at createStateMachine time. */
export function validateChoiceRule(rule: unknown, where: string, topLevel: boolean): void {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    throw new Error(`${where}: a Choice rule must be an object`);
  const r = rule as ChoiceRule;
  if (topLevel && typeof r.Next !== 'string') throw new Error(`${where}: a top-level Choice rule needs Next`);
  if (!topLevel && r.Next !== undefined) throw new Error(`${where}: a nested Choice rule must not have Next`);
  if (r.And !== undefined || r.Or !== undefined) {
    const list = r.And ?? r.Or;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${where}: And/Or need a non-empty array`);
    list.forEach((child, i) => validateChoiceRule(child, `${where}.${r.And ? 'And' : 'Or'}[${i}]`, false));
    return;
  }
  if (r.Not !== undefined) {
    validateChoiceRule(r.Not, `${where}.Not`, false);
    return;
  }
  if (typeof r.Variable !== 'string' || !r.Variable.startsWith('$'))
    throw new Error(`${where}: Variable must be a path`);
  const operators = Object.keys(r).filter((key) => choiceOperators.has(key));
  if (operators.length !== 1) {
    throw new Error(
      `${where}: expected exactly one comparison operator, found ${operators.length ? operators.join(', ') : 'none'}`,
    );
  }
}
