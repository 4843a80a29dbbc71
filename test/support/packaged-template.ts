import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const TEMPLATE_FILE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
/** What the template is built from: when one is newer than the template, the template is rebuilt. */
const TEMPLATE_INPUTS = [
  'serverless.yml',
  'serverless/variables.js',
  'pipeline.config.yml',
  'statemachines',
  'shared/event-rules.ts',
  'shared/config',
  'functions',
];

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface Template {
  Resources: Record<string, Resource>;
}
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/**
 * The CloudFormation template `serverless package` builds offline (the one `serverless deploy` would
 * send). scripts/test.sh packages before jest; a test file run alone packages once if the template is
 * missing or older than what it is built from.
 */
export function loadPackagedTemplate(): Template {
  if (templateIsStale()) {
    // variables.js reads PIPELINE_CONFIG_FILE when set: build from the sample config the tests compare with.
    const env = { ...process.env };
    delete env.PIPELINE_CONFIG_FILE;
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, env, stdio: 'pipe', timeout: 240_000 });
  }
  return JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Template;
}

function templateIsStale(): boolean {
  if (!existsSync(TEMPLATE_FILE)) return true;
  const built = statSync(TEMPLATE_FILE).mtimeMs;
  return TEMPLATE_INPUTS.some((input) => newestMtime(join(ROOT, input)) > built);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** The logical id serverless gives a function's AWS::Lambda::Function (its normalized name). */
export function functionLogicalId(functionName: string): string {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

export function policyStatementsOf(resource: Resource): PolicyStatement[] {
  const properties = resource.Properties ?? {};
  const documents =
    resource.Type === 'AWS::IAM::Role'
      ? ((properties.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument)
      : [properties.PolicyDocument];
  return documents.flatMap((doc) => asArray((doc as { Statement: unknown }).Statement) as PolicyStatement[]);
}

export function actionsOf(statement: PolicyStatement): string[] {
  return asArray(statement.Action) as string[];
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
