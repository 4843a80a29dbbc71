import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isNode, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error';
import { pipelineConfigSchema, type PipelineConfig } from './config.schema';
import { suggestion } from './did-you-mean';

/** Where the sample configuration lives, relative to the repository root. */
export const DEFAULT_CONFIG_FILE = 'pipeline.config.yml';

/** Reads and validates a pipeline configuration file. Throws ConfigError naming every problem found. */
export function loadConfigFile(file: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [unreadable(file, error)]);
  }
  return parseConfig(text, file);
}

/** Why a configuration file cannot be read, and what to do: a relative path is read from the current directory. */
function unreadable(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const fix = 'give its path (pipeline commands: --config <file>)';
  if (code === 'ENOENT')
    return `no such file in ${dirname(resolve(file))}: run where the configuration is, or ${fix}`;
  if (code === 'EISDIR') return `a directory, not the configuration file: ${fix}`;
  return `cannot read the file: ${code ?? String(error)}`;
}

/** YAML's messages for its common codes, said as a person would fix them. */
const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'a tab indents this line: YAML indents with spaces only',
};

/**
 * Validates configuration text; `file` is only used in messages. Each problem is one line,
 * `file:line:column: path: what is wrong`, at the key it is about (an editor jumps there).
 */
export function parseConfig(text: string, file: string): PipelineConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    // The first syntax error is the one to fix: the ones after it are mostly its echoes.
    const first = doc.errors[0]!;
    const message =
      YAML_HINTS[first.code] ?? first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(file, [`${at(first.pos[0])}: YAML syntax: ${message}`]);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The yaml library refuses aliases that would expand without bound ("billion laughs").
    throw new ConfigError(file, [
      `cannot read the YAML: ${error instanceof Error ? error.message : String(error)}; use fewer aliases (*name)`,
    ]);
  }
  if (value === null || value === undefined)
    throw new ConfigError(file, [
      `${file}:1:1: the file is empty: it needs version: 1, environments and services (start from the repository's pipeline.config.yml)`,
    ]);
  const result = pipelineConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;

  // In the order of the file, as a reader fixes them.
  const problems = result.error.issues
    .flatMap((issue) => {
      const path = issue.path as (string | number)[];
      if (issue.code === 'unrecognized_keys') {
        // One line per unknown key, at the key itself, with the closest known key.
        const known = knownKeys(path);
        return issue.keys.map((key) => {
          const offset = locate(doc, [...path, key]);
          return {
            offset,
            text: `${at(offset)}: ${formatPath([...path, key])}: unknown field "${key}"${suggestion(key, known)}`,
          };
        });
      }
      const offset = locate(doc, path);
      return [{ offset, text: `${at(offset)}: ${formatPath(path) || '(top level)'}: ${describe(issue)}` }];
    })
    .sort((a, b) => a.offset - b.offset)
    .map((problem) => problem.text);
  throw new ConfigError(file, problems);
}

/**
 * The offset of what a path names: a map's key itself (not its value, nor the map it is in), a list's
 * item; for a path that is not in the file (a missing field), the closest thing that is.
 */
function locate(doc: Document, path: (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = isNode(node) && node.range ? node.range[0] : 0;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isNode(p.key) ? (p.key as Node & { value?: unknown }).value : p.key) === key,
      );
      if (!pair) return offset;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (!isNode(item)) return offset;
      if (item.range) offset = item.range[0];
      node = item;
    } else return offset;
  }
  return offset;
}

/** The fields the schema allows in the object at a path, for "did you mean". */
function knownKeys(path: (string | number)[]): string[] {
  let schema = unwrap(pipelineConfigSchema as unknown as SchemaNode);
  for (const key of path) {
    const def = schema._zod.def;
    if (def.type === 'object') schema = def.shape[key as string]!;
    else if (def.type === 'array') schema = def.element!;
    else if (def.type === 'record') schema = def.valueType!;
    else return [];
    if (!schema) return [];
    schema = unwrap(schema);
  }
  return schema._zod.def.type === 'object' ? Object.keys(schema._zod.def.shape) : [];
}

interface SchemaNode {
  _zod: {
    def: {
      type: string;
      shape: Record<string, SchemaNode>;
      element?: SchemaNode;
      valueType?: SchemaNode;
      innerType?: SchemaNode;
      in?: SchemaNode;
    };
  };
}

function unwrap(schema: SchemaNode): SchemaNode {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const key = issue.path.at(-1);
    if (issue.input === undefined) return `missing "${String(key)}": it needs ${article(issue.expected)}`;
    if (issue.expected === 'number' && typeof issue.input === 'string') {
      const unit = /(Minutes|Hours|Seconds|Ms)$/.exec(String(key))?.[1];
      return (
        `expected a number, got "${issue.input}"` +
        (unit
          ? `: write the number alone (${String(key)} is in ${unit === 'Ms' ? 'milliseconds' : unit.toLowerCase()})`
          : '')
      );
    }
    return `expected ${article(issue.expected)}, got ${typeOf(issue.input)}`;
  }
  if (issue.code === 'invalid_key') return issue.issues.map((i) => i.message).join('; ');
  // zod says "Too small: expected number to be >=0"; a person reads the bound and what they wrote.
  // A message the schema gives itself (one that says why the bound is there) is kept.
  if (
    (issue.code === 'too_small' || issue.code === 'too_big') &&
    issue.origin === 'number' &&
    /^Too (small|big):/.test(issue.message)
  ) {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const side =
      issue.code === 'too_small'
        ? issue.inclusive
          ? 'at least'
          : 'more than'
        : issue.inclusive
          ? 'at most'
          : 'less than';
    const got = typeof issue.input === 'number' ? `, got ${issue.input}` : '';
    return `must be ${side} ${String(bound)}${got}`;
  }
  return issue.message;
}

function article(expected: string): string {
  return expected === 'array'
    ? 'a list'
    : expected === 'object'
      ? 'a mapping (key: value lines)'
      : `a ${expected}`;
}

function typeOf(input: unknown): string {
  if (input === null) return 'nothing (an empty value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}
