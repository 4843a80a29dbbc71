import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error';
import { pipelineConfigSchema, type PipelineConfig } from './config.schema';

/** Where the sample configuration lives, relative to the repository root. */
export const DEFAULT_CONFIG_FILE = 'pipeline.config.yml';

/** Reads and validates a pipeline configuration file. Throws ConfigError naming every problem found. */
export function loadConfigFile(file: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  return parseConfig(text, file);
}

/** Validates configuration text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): PipelineConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}:${at.col}: ` : ''}${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
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
  const result = pipelineConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;

  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const path = formatPath(issue.path);
      const node = doc.getIn(issue.path as (string | number)[], true);
      const line = isNode(node) && node.range ? ` (line ${lines.linePos(node.range[0]).line})` : '';
      return `${path || '(top level)'}${line}: ${describe(issue)}`;
    }),
  );
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return `missing required field (${issue.message})`;
  return issue.message;
}
