import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';

export interface ServerlessFunction {
  handler: string;
  package?: { patterns?: string[] };
  events?: Record<string, unknown>[];
}

export interface ServerlessYml {
  service: string;
  provider: { environment?: Record<string, unknown> };
  package?: { individually?: boolean; patterns?: string[] };
  functions: Record<string, ServerlessFunction>;
  stepFunctions: { stateMachines: Record<string, { id: string; definition: unknown }> };
  /** The CloudFormation resources the stack adds beside the functions (the table, the topic, the bus...). */
  resources?: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
}

/** serverless.yml with its CloudFormation short forms (`!Ref`, `!Sub`, `!GetAtt`...) as their long forms. */
export function loadServerlessYml(root = join(__dirname, '..', '..')): ServerlessYml {
  const intrinsics = [
    'Ref',
    'Sub',
    'GetAtt',
    'Join',
    'Select',
    'Split',
    'If',
    'Not',
    'Equals',
    'ImportValue',
    'FindInMap',
  ];
  const longForm = (name: string) => (name === 'Ref' ? 'Ref' : `Fn::${name}`);
  const customTags: Tags = intrinsics.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => ({ [longForm(name)]: value }) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (value: { toJSON(): unknown }) => ({ [longForm(name)]: value.toJSON() }),
    },
  ]);
  return parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { customTags }) as ServerlessYml;
}
