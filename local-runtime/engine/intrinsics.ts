/**
 * Payload templates (Parameters, ItemSelector, ResultSelector) and intrinsic functions (`States.Format(...)`).
 *
 * Intrinsic grammar, per the ASL spec: `States.Name(arg, ...)` where an argument is a single-quoted string
 * (`\'` escapes a quote; `\{`, `\}` and `\\` are kept escaped until used, so States.Format can tell a literal
 * brace from a placeholder), a number, `true`/`false`/`null`, a path (`$.x`, `$$.x`) or a nested call.
 */
import { createHash, randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from './errors';
import { readPath, safeJson, type PathData } from './json-path';

type Arg =
  | { kind: 'literal'; value: unknown }
  | { kind: 'string'; raw: string }
  | { kind: 'path'; path: string }
  | { kind: 'call'; call: Call };

interface Call {
  name: string;
  args: Arg[];
}

/** Options that make intrinsics deterministic in tests. */
export interface IntrinsicOptions {
  /** A number in [0, 1); used by States.MathRandom without a seed. */
  random: () => number;
}

const parseCache = new Map<string, Call>();

/** Parses an intrinsic expression; throws States.IntrinsicFailure on a syntax error. */
export function parseIntrinsic(text: string): Call {
  const cached = parseCache.get(text);
  if (cached) return cached;
  const parser = new Parser(text);
  const call = parser.call();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected trailing characters');
  parseCache.set(text, call);
  return call;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.i >= this.text.length;
  }

  skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i] ?? '')) this.i++;
  }

  fail(message: string): never {
    throw new StatesError(
      StatesErrors.IntrinsicFailure,
      `Invalid intrinsic '${this.text}' at ${this.i}: ${message}`,
    );
  }

  call(): Call {
    this.skipSpace();
    const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.i));
    if (!match) this.fail('expected States.<Function>');
    this.i += match[0].length;
    this.skipSpace();
    if (this.text[this.i] !== '(') this.fail("expected '('");
    this.i++;
    const args: Arg[] = [];
    this.skipSpace();
    if (this.text[this.i] === ')') {
      this.i++;
      return { name: match[0], args };
    }
    for (;;) {
      args.push(this.arg());
      this.skipSpace();
      const ch = this.text[this.i];
      this.i++;
      if (ch === ')') return { name: match[0], args };
      if (ch !== ',') this.fail("expected ',' or ')'");
    }
  }

  private arg(): Arg {
    this.skipSpace();
    const rest = this.text.slice(this.i);
    const ch = rest[0];
    if (ch === "'") return this.string();
    if (ch === '$') return this.path();
    if (rest.startsWith('States.')) return { kind: 'call', call: this.call() };
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      this.i += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (rest.startsWith(word)) {
        this.i += word.length;
        return { kind: 'literal', value };
      }
    }
    return this.fail('unexpected argument');
  }

  private string(): Arg {
    this.i++; // opening quote
    let raw = '';
    while (this.i < this.text.length) {
      const ch = this.text[this.i] ?? '';
      if (ch === '\\') {
        const next = this.text[this.i + 1] ?? '';
        raw += next === "'" ? "'" : ch + next; // keep other escapes for the consumer
        this.i += 2;
      } else if (ch === "'") {
        this.i++;
        return { kind: 'string', raw };
      } else {
        raw += ch;
        this.i++;
      }
    }
    return this.fail('unterminated string');
  }

  private path(): Arg {
    const start = this.i;
    let depth = 0;
    let quote: string | null = null;
    while (this.i < this.text.length) {
      const ch = this.text[this.i];
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '[' || ch === '(') depth++;
      else if (ch === ']' || ch === ')') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ',' && depth === 0) break;
      this.i++;
    }
    return { kind: 'path', path: this.text.slice(start, this.i).trim() };
  }
}

/** Resolves `\{`, `\}`, `\\` (and any `\x`) in a string literal used as a plain value. */
function unescape(raw: string): string {
  return raw.replace(/\\(.)/g, '$1');
}

/** Evaluates an intrinsic expression against the state's data. */
export function evaluateIntrinsic(text: string, data: PathData, options: IntrinsicOptions): unknown {
  return evaluateCall(parseIntrinsic(text), data, options);
}

function evaluateArg(arg: Arg, data: PathData, options: IntrinsicOptions): unknown {
  switch (arg.kind) {
    case 'literal':
      return arg.value;
    case 'string':
      return unescape(arg.raw);
    case 'path':
      return readPath(arg.path, data, 'intrinsic argument');
    case 'call':
      return evaluateCall(arg.call, data, options);
  }
}

function fail(name: string, message: string): never {
  throw new StatesError(StatesErrors.IntrinsicFailure, `${name}: ${message}`);
}

function expectArgs(name: string, values: unknown[], min: number, max = min): void {
  if (values.length < min || values.length > max) {
    fail(name, `expected ${min === max ? min : `${min}-${max}`} argument(s), got ${values.length}`);
  }
}

function asString(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(name, `expected a string, got ${safeJson(value)}`);
  return value;
}

function asNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(name, `expected a number, got ${safeJson(value)}`);
  return value;
}

function asInteger(name: string, value: unknown): number {
  const n = asNumber(name, value);
  if (!Number.isInteger(n)) fail(name, `expected an integer, got ${n}`);
  return n;
}

function asArray(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) fail(name, `expected an array, got ${safeJson(value)}`);
  return value;
}

function asObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(name, `expected an object, got ${safeJson(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Deep equality on JSON values, key order insensitive. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length && keys.every((k) => k in rb && jsonEquals(ra[k], rb[k]));
}

/** Deterministic PRNG (mulberry32) for States.MathRandom's seed argument. */
function seeded(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const hashAlgorithms: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function evaluateCall(call: Call, data: PathData, options: IntrinsicOptions): unknown {
  const { name } = call;
  if (name === 'States.Format') return format(call, data, options);
  const v = call.args.map((arg) => evaluateArg(arg, data, options));
  switch (name) {
    case 'States.StringToJson': {
      expectArgs(name, v, 1);
      try {
        return JSON.parse(asString(name, v[0]));
      } catch (err) {
        if (err instanceof StatesError) throw err;
        return fail(name, `invalid JSON: ${(err as Error).message}`);
      }
    }
    case 'States.JsonToString':
      expectArgs(name, v, 1);
      return JSON.stringify(v[0]);
    case 'States.Array':
      return v;
    case 'States.ArrayPartition': {
      expectArgs(name, v, 2);
      const array = asArray(name, v[0]);
      const size = asInteger(name, v[1]);
      if (size <= 0) fail(name, 'chunk size must be positive');
      const chunks: unknown[][] = [];
      for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
      return chunks;
    }
    case 'States.ArrayContains': {
      expectArgs(name, v, 2);
      return asArray(name, v[0]).some((item) => jsonEquals(item, v[1]));
    }
    case 'States.ArrayRange': {
      expectArgs(name, v, 3);
      const [start, end, step] = [asInteger(name, v[0]), asInteger(name, v[1]), asInteger(name, v[2])];
      if (step === 0) fail(name, 'step must not be 0');
      const out: number[] = [];
      for (let n = start; step > 0 ? n <= end : n >= end; n += step) {
        out.push(n);
        if (out.length > 1000) fail(name, 'the range exceeds 1000 items');
      }
      return out;
    }
    case 'States.ArrayGetItem': {
      expectArgs(name, v, 2);
      const array = asArray(name, v[0]);
      const index = asInteger(name, v[1]);
      if (index < 0 || index >= array.length) fail(name, `index ${index} out of bounds`);
      return array[index];
    }
    case 'States.ArrayLength':
      expectArgs(name, v, 1);
      return asArray(name, v[0]).length;
    case 'States.ArrayUnique': {
      expectArgs(name, v, 1);
      const out: unknown[] = [];
      for (const item of asArray(name, v[0])) if (!out.some((seen) => jsonEquals(seen, item))) out.push(item);
      return out;
    }
    case 'States.Base64Encode':
      expectArgs(name, v, 1);
      return Buffer.from(asString(name, v[0]), 'utf8').toString('base64');
    case 'States.Base64Decode':
      expectArgs(name, v, 1);
      return Buffer.from(asString(name, v[0]), 'base64').toString('utf8');
    case 'States.Hash': {
      expectArgs(name, v, 2);
      const algorithm = hashAlgorithms[asString(name, v[1])];
      if (!algorithm) fail(name, `unsupported algorithm ${safeJson(v[1])}`);
      const input = typeof v[0] === 'string' ? v[0] : JSON.stringify(v[0]);
      return createHash(algorithm).update(input, 'utf8').digest('hex');
    }
    case 'States.JsonMerge': {
      expectArgs(name, v, 3);
      if (v[2] !== false) fail(name, 'only shallow merge (third argument false) is supported');
      return { ...asObject(name, v[0]), ...asObject(name, v[1]) };
    }
    case 'States.MathRandom': {
      expectArgs(name, v, 2, 3);
      const start = asInteger(name, v[0]);
      const end = asInteger(name, v[1]);
      if (end <= start) fail(name, 'end must be greater than start');
      const random = v.length === 3 ? seeded(asInteger(name, v[2])) : options.random;
      return start + Math.floor(random() * (end - start));
    }
    case 'States.MathAdd':
      // ASL spec, States.MathAdd: "All arguments MUST be integers." A fraction is an IntrinsicFailure, not summed.
      expectArgs(name, v, 2);
      return asInteger(name, v[0]) + asInteger(name, v[1]);
    case 'States.StringSplit': {
      expectArgs(name, v, 2);
      const text = asString(name, v[0]);
      const delimiters = new Set(asString(name, v[1]));
      const parts: string[] = [];
      let current = '';
      for (const ch of text) {
        if (delimiters.has(ch)) {
          if (current !== '') parts.push(current);
          current = '';
        } else current += ch;
      }
      if (current !== '') parts.push(current);
      return parts;
    }
    case 'States.UUID':
      expectArgs(name, v, 0);
      return randomUUID();
    default:
      return fail(name, 'unknown intrinsic function');
  }
}

/** States.Format: `{}` placeholders, `\{` `\}` `\\` escapes. */
function format(call: Call, data: PathData, options: IntrinsicOptions): string {
  const [templateArg, ...rest] = call.args;
  if (!templateArg) fail(call.name, 'missing template');
  const template =
    templateArg.kind === 'string'
      ? templateArg.raw
      : asString(call.name, evaluateArg(templateArg, data, options));
  const values = rest.map((arg) => evaluateArg(arg, data, options));
  let out = '';
  let used = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '\\' && i + 1 < template.length) {
      out += template[i + 1];
      i++;
    } else if (ch === '{' && template[i + 1] === '}') {
      if (used >= values.length) fail(call.name, 'more placeholders than arguments');
      const value = values[used++];
      // ASL spec, States.Format: an argument's Value is "a string, a boolean, a number, or null" shown in its
      // natural string representation; "The Value MUST NOT be a JSON array or object."
      if (typeof value === 'object' && value !== null)
        fail(call.name, `argument ${used + 1} is ${safeJson(value)}; arrays and objects cannot be formatted`);
      out += typeof value === 'string' ? value : JSON.stringify(value);
      i++;
    } else {
      out += ch;
    }
  }
  if (used !== values.length) fail(call.name, 'more arguments than placeholders');
  return out;
}

/** Evaluates the value of a `key.$` field: an intrinsic call or a path. */
export function evaluateDynamicValue(
  expression: string,
  data: PathData,
  options: IntrinsicOptions,
  field: string,
): unknown {
  const trimmed = expression.trim();
  if (trimmed.startsWith('States.')) return evaluateIntrinsic(trimmed, data, options);
  if (trimmed.startsWith('$')) return readPath(trimmed, data, field);
  throw new StatesError(
    StatesErrors.Runtime,
    `The value of field '${field}' is neither a path nor an intrinsic function`,
  );
}

/**
 * Instantiates a payload template: keys ending in `.$` are replaced by the value of their path / intrinsic
 * (the suffix dropped); everything else is copied, recursing into objects and arrays.
 */
export function applyPayloadTemplate(template: unknown, data: PathData, options: IntrinsicOptions): unknown {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, data, options));
  if (typeof template !== 'object' || template === null) return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') {
        throw new StatesError(StatesErrors.Runtime, `The value of field '${key}' must be a string`);
      }
      out[key.slice(0, -2)] = evaluateDynamicValue(value, data, options, key);
    } else {
      out[key] = applyPayloadTemplate(value, data, options);
    }
  }
  return out;
}

/** Parses every intrinsic in a payload template, so definition errors surface at creation time. */
export function checkPayloadTemplate(template: unknown, where: string): void {
  if (Array.isArray(template)) {
    template.forEach((item) => checkPayloadTemplate(item, where));
    return;
  }
  if (typeof template !== 'object' || template === null) return;
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw new Error(`${where}: the value of '${key}' must be a string`);
      const trimmed = value.trim();
      if (trimmed.startsWith('States.')) {
        try {
          parseIntrinsic(trimmed);
        } catch (err) {
          throw new Error(`${where}: ${(err as Error).message}`);
        }
      } else if (!trimmed.startsWith('$')) {
        throw new Error(`${where}: the value of '${key}' must be a path or an intrinsic function`);
      }
    } else {
      checkPayloadTemplate(value, where);
    }
  }
}
