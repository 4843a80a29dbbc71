/**
 * Checks the CloudFormation templates with AWS's linter and a security scanner, as `npm test` does:
 *
 * 1. packages the pipeline's template offline for each stage of STAGES in every region of
 *    pipeline.config.yml (into .serverless-matrix/, reused while nothing it is built from changed; one
 *    packaging per core at a time, each in a service folder of its own), and
 *    writes the template that forwards ECS events from the other regions (scripts/forwarding-templates.ts);
 * 2. runs cfn-lint once over all of them: any error, or any warning not suppressed in .cfnlintrc.yaml,
 *    fails;
 * 3. runs checkov once over all of them, beside cfn-lint (each is one Python process on one core): any
 *    failed check not skipped (with its reason) in .checkov.yaml fails.
 *
 * Prints the counts. The Python tools come from .venv-tools and .venv-checkov (scripts/python-tools.sh).
 * `--package-only` does step 1 alone (no Python needed): `npm test` packages while the Python tools are
 * still installing, and the run after it then finds the templates up to date.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfigFile } from '../shared/config/config.loader';
import { packageTemplates, type PackagingTarget } from '../test/support/packaged-template';
import { writeForwardingTemplate } from './forwarding-templates';

const ROOT = join(__dirname, '..');
/** The shortest stage name, a long one, and the longest one the pipeline supports (12 characters). */
export const STAGES = ['dev', 'production', 'staging-blue'];

interface CfnLintMatch {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Message: string;
  Filename: string;
  Location: { Path?: (string | number)[] };
}

interface CheckovReport {
  check_type: string;
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks: { check_id: string; check_name: string; resource: string; file_path: string }[] };
}

export function configuredRegions(configFile = join(ROOT, 'pipeline.config.yml')): string[] {
  const config = loadConfigFile(configFile);
  return [...new Set(config.environments.flatMap((environment) => environment.regions))];
}

/** The bin folder of a pinned Python tool set: 'tools' (moto, cfn-lint) or 'checkov'. */
function pythonToolsBin(set: 'tools' | 'checkov'): string {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'python-tools.sh'), set], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out.trim().split('\n').pop() as string;
}

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Runs a tool to its end without blocking the event loop, so that two can run side by side. */
function runTool(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // A tool that cannot start (missing, not executable) reports here; the first of the two settles.
    child.on('error', (error) => resolve({ status: null, stdout: text(out), stderr: text(err), error }));
    child.on('close', (status) => resolve({ status, stdout: text(out), stderr: text(err) }));
  });
}

async function runCfnLint(bin: string, files: string[]): Promise<CfnLintMatch[]> {
  // Exit codes say which levels matched (2 errors, 4 warnings, 8 informational); the JSON says it all.
  const result = await runTool(join(bin, 'cfn-lint'), ['--format', 'json', '--', ...files]);
  if (result.status === 1 || result.error || !result.stdout.trim().startsWith('['))
    throw new Error(
      `cfn-lint could not run (exit ${result.status}): ${result.error?.message ?? result.stderr}`,
    );
  return JSON.parse(result.stdout) as CfnLintMatch[];
}

async function runCheckov(bin: string, files: string[]): Promise<CheckovReport[]> {
  const args = ['--framework', 'cloudformation', '--output', 'json', '--compact', '--quiet'];
  const result = await runTool(join(bin, 'checkov'), [...files.flatMap((file) => ['-f', file]), ...args], {
    ...process.env,
    BC_SKIP_MAPPING: 'TRUE',
    CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false',
  });
  const out = result.stdout.trim();
  if (result.error || !(out.startsWith('[') || out.startsWith('{')))
    throw new Error(
      `checkov could not run (exit ${result.status}): ${result.error?.message ?? result.stderr}`,
    );
  const parsed = JSON.parse(out) as CheckovReport | CheckovReport[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

interface PackagedTemplate extends PackagingTarget {
  file: string;
}

/** Step 1: the templates to check, packaged where stale (see the top of this file). */
async function packagedTemplates(): Promise<{ pipeline: PackagedTemplate[]; forwarding: string[] }> {
  const regions = configuredRegions();
  const targets: PackagingTarget[] = STAGES.flatMap((stage) => regions.map((region) => ({ stage, region })));
  const started = Date.now();
  const files = await packageTemplates(targets);
  const forwarding = [writeForwardingTemplate()];
  console.log(
    `packaged ${files.length} pipeline templates (stages ${STAGES.join(', ')} × regions ` +
      `${regions.join(', ')}; up-to-date ones reused) and ${forwarding.length} event forwarding ` +
      `templates in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return { pipeline: targets.map((target, i) => ({ ...target, file: files[i]! })), forwarding };
}

/**
 * A packaged template without what the packagings of one stage for different regions always differ in: the
 * region's name, the packaging's time in the code's S3 keys, and the digests in the names of the Lambda
 * versions (serverless hashes each function's code and settings into them; those settings are compared
 * in full in the function's own resource).
 */
export function withoutRegion(template: string, region: string): string {
  return template
    .split(region)
    .join('<region>')
    .replace(/\/\d+-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z\//g, '/<packaged at>/')
    .replace(/LambdaVersion[A-Za-z0-9]{30,}/g, 'LambdaVersion<digest>');
}

/**
 * The pipeline templates cfn-lint and checkov must read: per stage, the first region's, and another
 * region's only where it differs from that one in more than `withoutRegion` takes out. cfn-lint checks
 * every template against each configured region (.cfnlintrc.yaml) whichever region it was packaged for, and
 * checkov's checks do not depend on the region, so a template the same but for the region's name would
 * give the same findings again.
 */
export function distinctTemplates(pipeline: PackagedTemplate[]): {
  distinct: PackagedTemplate[];
  same: PackagedTemplate[];
} {
  const distinct: PackagedTemplate[] = [];
  const same: PackagedTemplate[] = [];
  const seen = new Map<string, Set<string>>();
  for (const template of pipeline) {
    // Key order is not content: two packagings may write the same object's keys in another order.
    const content = JSON.stringify(
      sortedKeys(JSON.parse(withoutRegion(readFileSync(template.file, 'utf8'), template.region))),
    );
    const ofStage = seen.get(template.stage) ?? new Set<string>();
    seen.set(template.stage, ofStage);
    (ofStage.has(content) ? same : distinct).push(template);
    ofStage.add(content);
  }
  return { distinct, same };
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}

export async function checkTemplates(): Promise<number> {
  const { pipeline, forwarding } = await packagedTemplates();
  const { distinct, same } = distinctTemplates(pipeline);
  const files = [...distinct.map((t) => t.file), ...forwarding];
  console.log(
    `${distinct.length} of ${pipeline.length} pipeline templates to check: ${same.length} ` +
      `(${same.map((t) => `${t.stage} in ${t.region}`).join(', ') || 'none'}) are the same as another ` +
      `region's of their stage but for the region's name, the packaging time and the code digests`,
  );
  // Both run to their end before either's failure is reported, so none is left running behind.
  const [lint, scan] = await Promise.allSettled([
    runCfnLint(pythonToolsBin('tools'), files),
    runCheckov(pythonToolsBin('checkov'), files),
  ]);
  if (lint.status === 'rejected') throw lint.reason;
  if (scan.status === 'rejected') throw scan.reason;
  const [matches, reports] = [lint.value, scan.value];
  const count = (level: CfnLintMatch['Level']) => matches.filter((m) => m.Level === level).length;
  console.log(
    `cfn-lint: ${files.length} templates linted, ${count('Error')} errors, ${count('Warning')} warnings, ` +
      `${count('Informational')} informational (suppressed with reasons in .cfnlintrc.yaml)`,
  );
  for (const m of matches)
    console.log(
      `  ${m.Level} ${m.Rule.Id} ${relative(ROOT, m.Filename)} ${(m.Location.Path ?? []).join('/')}: ${m.Message}`,
    );

  const total = { passed: 0, failed: 0, skipped: 0, parsing_errors: 0 };
  for (const report of reports)
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += report.summary[key];
  console.log(
    `checkov: ${total.passed} checks passed, ${total.failed} failed, ${total.skipped} skipped inline, ` +
      `${total.parsing_errors} parsing errors (checks skipped with reasons in .checkov.yaml do not run)`,
  );
  for (const report of reports)
    for (const failed of report.results.failed_checks)
      console.log(
        `  FAILED ${failed.check_id} ${failed.resource} (${failed.file_path}): ${failed.check_name}`,
      );

  const problems =
    count('Error') + count('Warning') + count('Informational') + total.failed + total.parsing_errors;
  return problems === 0 ? 0 : 1;
}

if (require.main === module) {
  const packageOnly = process.argv.includes('--package-only');
  (packageOnly ? packagedTemplates().then(() => 0) : checkTemplates()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
