import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const STATE_MACHINES_DIR = join(__dirname, '..', 'statemachines');
export const LOCAL_ACCOUNT = '000000000000';

/** The local ARN of a serverless.yml function, as `Fn::GetAtt: [name, Arn]` resolves locally. */
export function localFunctionArn(functionName: string, region = 'local'): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

/** The function name of a local function ARN, or undefined for anything else. */
export function functionNameOf(arn: string): string | undefined {
  return /^arn:aws:lambda:[^:]+:\d{12}:function:([A-Za-z0-9_-]+)$/.exec(arn)?.[1];
}

/**
 * Loads `statemachines/<name>.asl.yml`, the very file serverless.yml deploys, includes the fragments it
 * names with `${file(./statemachines/….asl.yml)}` (as serverless does), and resolves the CloudFormation
 * references serverless-step-functions would (`Fn::GetAtt: [function, Arn]`) to local function ARNs. Any
 * other reference is an error: the local runtime must not silently run something else.
 */
export function loadStateMachineDefinition(name: string, dir = STATE_MACHINES_DIR): Record<string, unknown> {
  return loadFile(join(dir, `${name}.asl.yml`), join(dir, '..')) as Record<string, unknown>;
}

/** `${file(./statemachines/stage.asl.yml)}`, the serverless variable that includes a shared fragment. */
const FILE_INCLUDE = /^\$\{file\((\.\/[\w./-]+\.asl\.yml)\)\}$/;

function loadFile(file: string, serviceRoot: string): unknown {
  const definition = parse(readFileSync(file, 'utf8')) as unknown;
  return resolveReferences(definition, file, '', serviceRoot);
}

function resolveReferences(value: unknown, file: string, path: string, root: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, file, `${path}[${i}]`, root));
  if (typeof value === 'string') {
    const include = FILE_INCLUDE.exec(value);
    if (include) return loadFile(join(root, include[1]!), root);
    if (value.includes('${'))
      throw new Error(`${file}: ${path}: serverless variable ${value} cannot be resolved locally`);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (entries.length === 1 && getAtt !== undefined) {
    if (Array.isArray(getAtt) && getAtt.length === 2 && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string')
      return localFunctionArn(getAtt[0]);
    throw new Error(`${file}: ${path}: only Fn::GetAtt [<function>, Arn] is supported locally`);
  }
  const reference = entries.find(([k]) => k === 'Ref' || k.startsWith('Fn::'));
  if (reference) throw new Error(`${file}: ${path}: ${reference[0]} cannot be resolved by the local runtime`);
  return Object.fromEntries(
    entries.map(([k, v]) => [k, resolveReferences(v, file, path ? `${path}.${k}` : k, root)]),
  );
}
