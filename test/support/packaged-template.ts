import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const TEMPLATE_FILE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
/** What the template is built from: when one is newer than the template, the template is rebuilt. */
const TEMPLATE_INPUTS = [
  'serverless.yml',
  'serverless',
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

/**
 * The packaged sample template for a test file (call at its top level): loaded once before its tests
 * (packaging first when it is stale), read through the returned function.
 */
export function packagedTemplateForFile(): () => Template {
  let template: Template | undefined;
  beforeAll(() => {
    template = loadPackagedTemplate();
  }, 300_000);
  return () => {
    if (!template)
      throw new Error('the packaged template is read in a test, after packagedTemplateForFile loads it');
    return template;
  };
}

/** The policy statements of a function's own role in a template. */
export function statementsOfFunction(template: Template, functionName: string): PolicyStatement[] {
  return policyStatementsOf(roleOf(template, functionName));
}

function templateIsStale(file = TEMPLATE_FILE): boolean {
  if (!existsSync(file)) return true;
  const built = statSync(file).mtimeMs;
  return TEMPLATE_INPUTS.some((input) => newestMtime(join(ROOT, input)) > built);
}

/** Where the templates of other stages and regions are packaged: `.serverless-matrix/<stage>-<region>/`. */
export const MATRIX_DIR = join(ROOT, '.serverless-matrix');

export interface PackagingTarget {
  stage: string;
  region: string;
  /** Another pipeline config than the sample (PIPELINE_CONFIG_FILE of serverless/variables.js)... */
  configFile?: string;
  /** ...named by this label in the folder name. */
  label?: string;
}

function matrixDir({ stage, region, label }: PackagingTarget): string {
  return join(MATRIX_DIR, `${label ? `${label}-` : ''}${stage}-${region}`);
}

export function matrixTemplateFile(target: PackagingTarget): string {
  return join(matrixDir(target), 'cloudformation-template-update-stack.json');
}

function targetIsStale(target: PackagingTarget): boolean {
  const file = matrixTemplateFile(target);
  if (templateIsStale(file)) return true;
  return target.configFile !== undefined && statSync(target.configFile).mtimeMs > statSync(file).mtimeMs;
}

/** What scripts/build-functions.ts builds dist/functions/ from. */
const BUNDLE_INPUTS = [
  'functions',
  'shared',
  'scripts/build-functions.ts',
  'scripts/bundle',
  'pipeline.config.yml',
  'package-lock.json',
];

/** The bundles are missing, or older than something they are built from (the folder dates the build). */
function bundlesAreStale(): boolean {
  const bundles = join(ROOT, 'dist', 'functions');
  if (!existsSync(bundles)) return true;
  const built = statSync(bundles).mtimeMs;
  return BUNDLE_INPUTS.some((input) => newestMtime(join(ROOT, input)) > built);
}

/** What `serverless package` reads from the repository besides serverless.yml (see `serviceFolder`). */
const SERVICE_ENTRIES = ['serverless', 'statemachines', 'dist', 'node_modules', 'package.json'];

/**
 * A service folder of its own for one packaging: serverless.yml copied into a temporary folder, and what it
 * reads (its plugins and variables, the state machines, the bundles, node_modules) linked from the
 * repository. osls empties `<service folder>/.serverless/` when it starts packaging into `--package <dir>`,
 * builds there and removes it at the end: in the repository's folder, two packagings at once would race,
 * and each would delete the template `npm run package` left in .serverless/ (which the tests read).
 */
function serviceFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-package-'));
  copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  for (const entry of SERVICE_ENTRIES) symlinkSync(join(ROOT, entry), join(dir, entry));
  return dir;
}

/**
 * Packages the template for each stage and region (`serverless package --stage … --region …`, offline)
 * unless it is newer than what it is built from; bundles the functions once first when any is stale.
 * Returns the template files, in the order of `targets`. Each packaging runs in a service folder of its
 * own (see `serviceFolder`), `concurrency` at a time (default: one per core).
 */
export async function packageTemplates(
  targets: PackagingTarget[],
  concurrency = availableParallelism(),
): Promise<string[]> {
  const stale = targets.filter(targetIsStale);
  const env = { ...process.env };
  delete env.PIPELINE_CONFIG_FILE;
  const run = promisify(execFile);
  // The bundles (and dist/pipeline.config.json) always come from the sample config, so a target with a
  // config of its own needs no new bundles; rebuilding them anyway would empty dist/ under the feet of a
  // test file that reads it in the other jest worker.
  if (stale.length > 0 && bundlesAreStale())
    await run('npx', ['tsx', 'scripts/build-functions.ts'], { cwd: ROOT, env });
  const queue = [...stale];
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const args = ['serverless', 'package', '--stage', target.stage, '--region', target.region];
      const targetEnv = target.configFile ? { ...env, PIPELINE_CONFIG_FILE: target.configFile } : env;
      const service = serviceFolder();
      try {
        await run('npx', [...args, '--package', matrixDir(target)], {
          cwd: service,
          env: targetEnv,
          timeout: 600_000,
        });
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        throw new Error(
          `serverless package failed for stage ${target.stage} in ${target.region}:\n${stdout}${stderr}`,
        );
      } finally {
        rmSync(service, { recursive: true, force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return targets.map(matrixTemplateFile);
}

export function readTemplate(file: string): Template {
  return JSON.parse(readFileSync(file, 'utf8')) as Template;
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

/** The role a function runs with: the resource its `Role: { Fn::GetAtt: [id, Arn] }` names. */
export function roleOf(template: Template, functionName: string): Resource {
  const fn = template.Resources[functionLogicalId(functionName)];
  if (!fn)
    throw new Error(`the template has no function ${functionName} (${functionLogicalId(functionName)})`);
  const roleId = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  const role = roleId === undefined ? undefined : template.Resources[roleId];
  if (!role)
    throw new Error(`function ${functionName} has no role of its own in the template (Role: ${roleId})`);
  return role;
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
