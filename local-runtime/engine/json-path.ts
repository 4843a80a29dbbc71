/**
 * JSONPath handling as ASL uses it: reference paths (InputPath, OutputPath, ResultPath, Choice Variable, ...),
 * general paths in payload templates, and ResultPath writes. Paths starting with `$$` read the context object.
 *
 * Definite paths (`$.a.b[0]['c d']`) are resolved by a small walker of our own, which is exact about
 * "missing" versus `null`; anything richer (wildcards, filters, slices, recursive descent) goes through
 * jsonpath-plus and yields an array, as Step Functions does.
 */
import { JSONPath } from 'jsonpath-plus';
import { StatesError, StatesErrors } from './errors';

/** Where paths are evaluated: `$` is the input, `$$` the context object. */
export interface PathData {
  input: unknown;
  context: unknown;
}

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number };

const parsedCache = new Map<string, Segment[] | null>();

/** Parses a definite path (after its leading `$`) into segments, or null when it is not definite. */
function parseDefinite(path: string): Segment[] | null {
  const cached = parsedCache.get(path);
  if (cached !== undefined) return cached;
  const result = parseDefiniteUncached(path);
  parsedCache.set(path, result);
  return result;
}

function parseDefiniteUncached(path: string): Segment[] | null {
  if (!path.startsWith('$')) return null;
  const segments: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      if (path[i + 1] === '.') return null; // recursive descent
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      const key = path.slice(i + 1, j);
      if (key === '' || key === '*' || key.includes('(')) return null;
      segments.push({ kind: 'key', key });
      i = j;
    } else if (ch === '[') {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        let j = i + 2;
        let key = '';
        while (j < path.length && path[j] !== quote) {
          if (path[j] === '\\' && j + 1 < path.length) j++;
          key += path[j];
          j++;
        }
        if (path[j + 1] !== ']') return null;
        segments.push({ kind: 'key', key });
        i = j + 2;
      } else {
        const close = path.indexOf(']', i);
        if (close < 0) return null;
        const body = path.slice(i + 1, close);
        if (!/^\d+$/.test(body)) return null; // wildcard, slice, filter, union, negative index
        segments.push({ kind: 'index', index: Number(body) });
        i = close + 1;
      }
    } else {
      return null;
    }
  }
  return segments;
}

/** True when the path can only ever select one node (a "reference path" in ASL terms). */
export function isDefinitePath(path: string): boolean {
  return parseDefinite(stripContextPrefix(path).path) !== null;
}

function stripContextPrefix(path: string): { path: string; useContext: boolean } {
  if (path.startsWith('$$')) return { path: path.slice(1), useContext: true };
  return { path, useContext: false };
}

function walk(root: unknown, segments: Segment[]): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const segment of segments) {
    if (segment.kind === 'index') {
      if (!Array.isArray(current) || segment.index >= current.length) return { found: false };
      current = current[segment.index];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return { found: false };
      if (!Object.prototype.hasOwnProperty.call(current, segment.key)) return { found: false };
      current = (current as Record<string, unknown>)[segment.key];
    }
  }
  return { found: true, value: current };
}

function queryAll(path: string, root: unknown): unknown[] {
  if (root === null || typeof root !== 'object') return [];
  try {
    const result: unknown = JSONPath({ path, json: root as object, wrap: true });
    return Array.isArray(result) ? result : [];
  } catch (err) {
    throw new StatesError(StatesErrors.Runtime, `Invalid JSONPath '${path}': ${(err as Error).message}`);
  }
}

/**
 * Reads a path that must select exactly one value. Returns `{ found: false }` when nothing is there,
 * which callers turn into States.Runtime (or `false` for Choice `IsPresent`).
 */
export function tryReadReferencePath(path: string, data: PathData): { found: boolean; value?: unknown } {
  const { path: local, useContext } = stripContextPrefix(path);
  const root = useContext ? data.context : data.input;
  const segments = parseDefinite(local);
  if (segments) return walk(root, segments);
  const all = queryAll(local, root);
  if (all.length === 1) return { found: true, value: all[0] };
  if (all.length === 0) return { found: false };
  throw new StatesError(StatesErrors.Runtime, `The reference path '${path}' selects more than one value`);
}

/** Reads a reference path; a missing value raises States.Runtime as Step Functions does. */
export function readReferencePath(path: string, data: PathData, field = 'path'): unknown {
  const { found, value } = tryReadReferencePath(path, data);
  if (!found) {
    throw new StatesError(
      StatesErrors.Runtime,
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${safeJson(data.input)}'`,
    );
  }
  return value;
}

/**
 * Reads a general path (payload templates, ItemsPath): definite paths yield the value (missing → States.Runtime),
 * indefinite ones yield the array of matches.
 */
export function readPath(path: string, data: PathData, field = 'path'): unknown {
  const { path: local, useContext } = stripContextPrefix(path);
  if (parseDefinite(local)) return readReferencePath(path, data, field);
  return queryAll(local, useContext ? data.context : data.input);
}

/**
 * Applies InputPath/OutputPath: `null` means `{}`, absent means `$`. These are Paths, not Reference Paths:
 * ASL spec, "Input and Output Processing": when a JSONPath yields several values "the interpreter gathers
 * the texts into an array", and "The same rule applies to OutputPath processing". So an indefinite path
 * (`$.items[*].id`) gives the array of its matches; a definite one gives its value (missing: States.Runtime).
 */
export function applyFilterPath(
  path: string | null | undefined,
  input: unknown,
  context: unknown,
  field: string,
): unknown {
  if (path === undefined || path === '$') return input;
  if (path === null) return {};
  return readPath(path, { input, context }, field);
}

/**
 * Combines a result with the state's raw input according to ResultPath:
 * absent/`$` → the result replaces the input; `null` → the input passes through; otherwise the result is
 * written at that path in a copy of the input, creating intermediate objects.
 */
export function applyResultPath(
  rawInput: unknown,
  resultPath: string | null | undefined,
  result: unknown,
): unknown {
  if (resultPath === undefined || resultPath === '$') return result;
  if (resultPath === null) return rawInput;
  const segments = parseDefinite(resultPath);
  if (!segments || resultPath.startsWith('$$')) {
    throw new StatesError(StatesErrors.Runtime, `ResultPath '${resultPath}' is not a valid reference path`);
  }
  const fail = (): never => {
    throw new StatesError(
      StatesErrors.ResultPathMatchFailure,
      `Unable to apply ResultPath '${resultPath}' to input '${safeJson(rawInput)}'`,
    );
  };
  if (typeof rawInput !== 'object' || rawInput === null) fail();
  const output = structuredClone(rawInput) as Record<string, unknown> | unknown[];
  let cursor: Record<string, unknown> | unknown[] = output;
  segments.forEach((segment, position) => {
    const last = position === segments.length - 1;
    if (segment.kind === 'index') {
      if (!Array.isArray(cursor) || segment.index >= cursor.length) fail();
      const array = cursor as unknown[];
      if (last) {
        array[segment.index] = result;
        return;
      }
      const next = array[segment.index];
      if (typeof next !== 'object' || next === null) fail();
      cursor = next as Record<string, unknown> | unknown[];
    } else {
      if (Array.isArray(cursor)) fail();
      const record = cursor as Record<string, unknown>;
      if (last) {
        record[segment.key] = result;
        return;
      }
      let next = record[segment.key];
      if (next === undefined) {
        next = {};
        record[segment.key] = next;
      }
      if (typeof next !== 'object' || next === null) fail();
      cursor = next as Record<string, unknown> | unknown[];
    }
  });
  return output;
}

/** JSON.stringify that never throws, truncated for error messages. */
export function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? 'undefined';
    return text.length > 256 ? `${text.slice(0, 256)}...` : text;
  } catch {
    return String(value);
  }
}
