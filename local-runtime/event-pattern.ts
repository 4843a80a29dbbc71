/**
 * Amazon EventBridge event-pattern matching for the local runtime, so that events are routed locally by the
 * very same rule patterns that `serverless.yml` declares for AWS.
 *
 * Semantics follow the EventBridge user guide (event patterns, comparison operators, arrays, null values) and,
 * where the guide is silent, the behaviour of AWS's own matcher (aws/event-ruler) and of TestEventPattern:
 * - a field is a leaf (an array of alternatives, OR-ed) or a nested object; fields are AND-ed;
 * - an event array matches when any of its elements matches (array structure is flattened);
 * - nested objects inside an event array must match within one element (array-consistent matching);
 * - `exists` is about leaf presence: a JSON `null` is a present leaf, an object or an empty array is not;
 * - every other operator, `anything-but` included, needs a present leaf value to match.
 */
import { isIP } from 'node:net';

/** Thrown for a pattern that EventBridge itself would refuse; `path` locates the problem, e.g. `detail.tag[0]`. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path === '' ? 'event pattern' : path}: ${reason}`);
  }
}

type Leaf = string | number | boolean | null;
type PlainObject = Record<string, unknown>;

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);
const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);
// EventBridge only compares numbers in this range (15 significant digits, 6 after the point).
const NUMERIC_LIMIT = 5e9;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const childPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const indexPath = (path: string, index: number): string => `${path}[${index}]`;

function fail(path: string, reason: string): never {
  throw new InvalidEventPatternError(path, reason);
}

// ---------------------------------------------------------------------------------------------- validation

/**
 * Checks that `pattern` is an event pattern EventBridge would accept.
 *
 * @throws InvalidEventPatternError naming the JSON path of the first problem found.
 */
export function validateEventPattern(pattern: unknown): void {
  validateObject(pattern, '');
}

function validateObject(value: unknown, path: string): void {
  if (!isPlainObject(value)) fail(path, `must be a JSON object, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length === 0) fail(path, 'must not be an empty object');
  for (const key of keys) {
    const field = value[key];
    if (key === '$or') validateOr(field, childPath(path, key));
    else validateField(field, childPath(path, key));
  }
}

function validateOr(value: unknown, path: string): void {
  if (!Array.isArray(value) || value.length < 2) {
    fail(path, 'must be an array of at least 2 patterns');
  }
  value.forEach((alternative, i) => validateObject(alternative, indexPath(path, i)));
}

function validateField(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((alternative, i) => validateAlternative(alternative, indexPath(path, i)));
  } else if (isPlainObject(value)) {
    validateObject(value, path);
  } else {
    fail(path, `must be an array of values to match or a nested object, got ${describe(value)}`);
  }
}

function validateAlternative(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, `must be a finite number, got ${value}`);
    return;
  }
  if (Array.isArray(value)) fail(path, 'nested arrays are not allowed');
  if (!isPlainObject(value)) fail(path, `must be a JSON value or an operator object, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    fail(path, `an operator object must have exactly one key, got ${keys.length} (${keys.join(', ')})`);
  }
  const operator = keys[0] as string;
  if (!OPERATORS.has(operator)) fail(path, `unknown operator ${JSON.stringify(operator)}`);
  validateOperator(operator, value[operator], childPath(path, operator));
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a string, got ${describe(value)}`);
  return value;
}

function validateOperator(operator: string, operand: unknown, path: string): void {
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (isPlainObject(operand)) {
        const keys = Object.keys(operand);
        if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
          fail(path, 'must be a string or { "equals-ignore-case": string }');
        }
        requireString(operand['equals-ignore-case'], childPath(path, 'equals-ignore-case'));
      } else {
        requireString(operand, path);
      }
      return;
    case 'equals-ignore-case':
      requireString(operand, path);
      return;
    case 'wildcard':
      parseWildcard(requireString(operand, path), path);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') fail(path, `must be true or false, got ${describe(operand)}`);
      return;
    case 'cidr':
      if (parseCidr(requireString(operand, path)) === undefined) {
        fail(path, `${JSON.stringify(operand)} is not an IPv4 or IPv6 CIDR block`);
      }
      return;
    case 'numeric':
      validateNumeric(operand, path);
      return;
    case 'anything-but':
      validateAnythingBut(operand, path);
      return;
  }
}

function validateNumeric(operand: unknown, path: string): void {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    fail(path, 'must be [operator, number] or [lower-operator, number, upper-operator, number]');
  }
  let lower: number | undefined;
  let upper: number | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    const bound: unknown = operand[i + 1];
    if (typeof op !== 'string' || !(op === '=' || LOWER_BOUNDS.has(op) || UPPER_BOUNDS.has(op))) {
      fail(
        indexPath(path, i),
        `unknown comparison operator ${JSON.stringify(op)} (expected =, <, <=, >, >=)`,
      );
    }
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      fail(indexPath(path, i + 1), `must be a number, got ${describe(bound)}`);
    }
    if (Math.abs(bound) > NUMERIC_LIMIT) {
      fail(indexPath(path, i + 1), `must be between -${NUMERIC_LIMIT} and ${NUMERIC_LIMIT}, got ${bound}`);
    }
    if (op === '=') {
      if (operand.length !== 2) fail(indexPath(path, i), '"=" cannot be combined with another comparison');
    } else if (LOWER_BOUNDS.has(op)) {
      if (lower !== undefined) fail(indexPath(path, i), 'only one lower bound (> or >=) is allowed');
      lower = bound;
    } else {
      if (upper !== undefined) fail(indexPath(path, i), 'only one upper bound (< or <=) is allowed');
      upper = bound;
    }
  }
  if (lower !== undefined && upper !== undefined && lower >= upper) {
    fail(path, `the lower bound ${lower} must be less than the upper bound ${upper}`);
  }
}

function validateAnythingBut(operand: unknown, path: string): void {
  if (typeof operand === 'string') return;
  if (typeof operand === 'number') {
    if (!Number.isFinite(operand)) fail(path, `must be a finite number, got ${operand}`);
    return;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) fail(path, 'must not be an empty list');
    const allStrings = operand.every((v) => typeof v === 'string');
    const allNumbers = operand.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!allStrings && !allNumbers) fail(path, 'a list must hold only strings or only numbers');
    return;
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      fail(path, 'must hold exactly one of prefix, suffix, equals-ignore-case or wildcard');
    }
    const inner = operand[key];
    const innerPath = childPath(path, key);
    switch (key) {
      case 'prefix':
      case 'suffix':
        requireString(inner, innerPath);
        return;
      case 'equals-ignore-case':
      case 'wildcard': {
        // Both accept one string or a non-empty list of strings.
        const values = Array.isArray(inner) ? inner : [inner];
        if (values.length === 0) fail(innerPath, 'must not be an empty list');
        values.forEach((v, i) => {
          const at = Array.isArray(inner) ? indexPath(innerPath, i) : innerPath;
          const text = requireString(v, at);
          if (key === 'wildcard') parseWildcard(text, at);
        });
        return;
      }
      default:
        fail(path, `unsupported anything-but operator ${JSON.stringify(key)}`);
    }
  }
  fail(
    path,
    `must be a string, a number, a list of strings or numbers, or an operator object, got ${describe(operand)}`,
  );
}

// ---------------------------------------------------------------------------------------------- wildcards

/**
 * Splits a wildcard into the literal pieces between its `*`s. `\*` is a literal star and `\\` a literal
 * backslash; EventBridge rejects any other escape and consecutive stars.
 */
function parseWildcard(pattern: string, path: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        fail(path, `invalid escape at index ${i} in ${JSON.stringify(pattern)}`);
      current += next;
      i++;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*')
        fail(path, `consecutive wildcards are not allowed in ${JSON.stringify(pattern)}`);
      pieces.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  pieces.push(current);
  return pieces;
}

// Leftmost-first search is exact for star-only globs and avoids regex backtracking on long values.
function wildcardMatches(pattern: string, value: string): boolean {
  const pieces = parseWildcard(pattern, '');
  const first = pieces[0] ?? '';
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  const end = value.length - last.length;
  let position = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, position);
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------- IP addresses

interface Address {
  version: 4 | 6;
  value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  if (isIP(text) !== 4) return undefined;
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (text.includes('%') || isIP(text) !== 6) return undefined;
  let normalized = text;
  // An embedded dotted quad (e.g. ::ffff:10.0.0.1) stands for the last two 16-bit groups.
  if (normalized.includes('.')) {
    const at = normalized.lastIndexOf(':');
    const v4 = parseIpv4(normalized.slice(at + 1));
    if (v4 === undefined) return undefined;
    normalized = `${normalized.slice(0, at + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = normalized.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function parseAddress(text: string): Address | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { version: 6, value: v6 };
  return undefined;
}

interface CidrBlock {
  version: 4 | 6;
  network: bigint;
  mask: bigint;
}

function parseCidr(text: string): CidrBlock | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const address = parseAddress(match[1] ?? '');
  if (!address) return undefined;
  const width = address.version === 4 ? 32 : 128;
  const prefixLength = Number(match[2]);
  if (prefixLength > width) return undefined;
  const all = (1n << BigInt(width)) - 1n;
  const mask = all ^ ((1n << BigInt(width - prefixLength)) - 1n);
  // Host bits are ignored, as in 10.0.0.5/24 meaning 10.0.0.0/24.
  return { version: address.version, network: address.value & mask, mask };
}

function cidrContains(cidr: string, value: string): boolean {
  const block = parseCidr(cidr);
  const address = parseAddress(value);
  if (!block || !address || block.version !== address.version) return false;
  return (address.value & block.mask) === block.network;
}

// ---------------------------------------------------------------------------------------------- matching

const validated = new WeakMap<object, true>();

/**
 * True when `event` matches `pattern` under EventBridge semantics. The pattern is validated first (once per
 * pattern object), so a pattern AWS would refuse never silently routes, or drops, events locally.
 *
 * @throws InvalidEventPatternError when the pattern is not a valid event pattern.
 */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!validated.has(pattern)) {
    validateEventPattern(pattern);
    validated.set(pattern, true);
  }
  return matchObject(pattern, isPlainObject(event) ? event : undefined);
}

function matchObject(pattern: PlainObject, node: PlainObject | undefined): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') return (sub as PlainObject[]).some((alternative) => matchObject(alternative, node));
    const value = node !== undefined && Object.hasOwn(node, key) ? node[key] : undefined;
    return Array.isArray(sub) ? matchLeaf(sub, value) : matchNested(sub as PlainObject, value);
  });
}

function matchNested(pattern: PlainObject, value: unknown): boolean {
  const candidates = (Array.isArray(value) ? value.flat(Infinity) : [value]).filter(isPlainObject);
  // With nothing to descend into, only leaves that may be absent (exists: false) can still match.
  if (candidates.length === 0) return matchObject(pattern, undefined);
  return candidates.some((candidate) => matchObject(pattern, candidate));
}

/** Leaf values of an event field: arrays are flattened, objects are not leaves, a missing field has none. */
function leafValues(value: unknown): Leaf[] {
  if (Array.isArray(value)) return value.flatMap(leafValues);
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return [value];
  }
  return [];
}

function matchLeaf(alternatives: unknown[], value: unknown): boolean {
  const leaves = leafValues(value);
  return alternatives.some((alternative) => {
    if (isPlainObject(alternative) && 'exists' in alternative)
      return alternative['exists'] === leaves.length > 0;
    return leaves.some((leaf) => matchValue(alternative, leaf));
  });
}

function sameValue(expected: unknown, leaf: Leaf): boolean {
  // Numbers compare by value so that 3.018e2 in a pattern matches 301.8 in an event.
  return typeof expected === 'number' ? typeof leaf === 'number' && leaf === expected : leaf === expected;
}

const lower = (text: string): string => text.toLowerCase();

function matchValue(alternative: unknown, leaf: Leaf): boolean {
  if (!isPlainObject(alternative)) return sameValue(alternative, leaf);
  const [operator, operand] = Object.entries(alternative)[0] as [string, unknown];
  switch (operator) {
    case 'prefix':
      if (typeof leaf !== 'string') return false;
      return isPlainObject(operand)
        ? lower(leaf).startsWith(lower(operand['equals-ignore-case'] as string))
        : leaf.startsWith(operand as string);
    case 'suffix':
      if (typeof leaf !== 'string') return false;
      return isPlainObject(operand)
        ? lower(leaf).endsWith(lower(operand['equals-ignore-case'] as string))
        : leaf.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof leaf === 'string' && lower(leaf) === lower(operand as string);
    case 'wildcard':
      return typeof leaf === 'string' && wildcardMatches(operand as string, leaf);
    case 'cidr':
      return typeof leaf === 'string' && cidrContains(operand as string, leaf);
    case 'numeric':
      return typeof leaf === 'number' && numericMatches(operand as unknown[], leaf);
    case 'anything-but':
      return !anythingButExcludes(operand, leaf);
    default:
      return false;
  }
}

function numericMatches(comparisons: unknown[], value: number): boolean {
  if (Math.abs(value) > NUMERIC_LIMIT) return false;
  for (let i = 0; i < comparisons.length; i += 2) {
    const bound = comparisons[i + 1] as number;
    switch (comparisons[i]) {
      case '=':
        if (!(value === bound)) return false;
        break;
      case '>':
        if (!(value > bound)) return false;
        break;
      case '>=':
        if (!(value >= bound)) return false;
        break;
      case '<':
        if (!(value < bound)) return false;
        break;
      case '<=':
        if (!(value <= bound)) return false;
        break;
    }
  }
  return true;
}

/**
 * True when `leaf` is one of the values an anything-but excludes. Only strings can be excluded by the
 * string operators, so numbers, booleans and null pass them (AWS also matches null here).
 */
function anythingButExcludes(operand: unknown, leaf: Leaf): boolean {
  if (!isPlainObject(operand)) {
    const excluded = Array.isArray(operand) ? operand : [operand];
    return excluded.some((value) => sameValue(value, leaf));
  }
  if (typeof leaf !== 'string') return false;
  const [operator, inner] = Object.entries(operand)[0] as [string, unknown];
  const texts = (Array.isArray(inner) ? inner : [inner]) as string[];
  switch (operator) {
    case 'prefix':
      return texts.some((text) => leaf.startsWith(text));
    case 'suffix':
      return texts.some((text) => leaf.endsWith(text));
    case 'equals-ignore-case':
      return texts.some((text) => lower(leaf) === lower(text));
    case 'wildcard':
      return texts.some((text) => wildcardMatches(text, leaf));
    default:
      return false;
  }
}
