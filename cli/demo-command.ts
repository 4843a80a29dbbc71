import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ScaledClock, type Clock } from '../shared/clock';
import { AutoAdvanceClock } from '../local-runtime/auto-advance-clock';
import { DAY_MS } from '../shared/domain/delivery-metrics';
import { readDeliveryMetrics } from '../shared/operations/metrics';
import { metricsTables } from './operator/metrics-command';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../shared/config/config.loader';
import { readableCause } from '../shared/domain/failure-cause';
import { DEPLOYED_ENV } from '../shared/domain/deployment-record';
import type { Promotion } from '../shared/domain/promotion.schema';
import type { StartDecision } from '../shared/use-cases/start-promotion';
import type { LiveHistoryEvent } from '../local-runtime/engine';
import { serveLocalPipeline } from '../local-runtime/local-http-server';
import { allStages, LocalPipeline } from '../local-runtime/local-pipeline';
import { duration, shortSha, table } from './format';
import { playProductionCanary } from './demo-canary';
import type { PipelineConfig } from '../shared/config/config.schema';
import { SAMPLE_SERVICE_MIGRATIONS } from '../local-runtime/adapters/sample-service-migrations';
import { UsageError } from './usage-error';

export const DEMO_USAGE = `usage: pipeline demo [--config <file>] [--time-scale <n>] [--interactive] [--port <n>] [--no-canary]

Plays a day of the pipeline on this machine, with the real state machines and handlers: a push
deploys orders-api to PPE, the same push delivered again starts nothing, a push of payments-api
deploys, a push tagged "latest" is ignored, a tag v1.4.0 releases the pushed image to staging and,
after approvals, to three production regions, a broken orders-api build fails its smoke checks
and is rolled back, and a build whose database migration fails stops before it deploys. orders-api
migrates a real PostgreSQL database (PGlite) of each environment/region before each deploy, with the
sample service's node-pg-migrate migrations (examples/sample-service). Then a production canary
(orders-api prod in eu-west-1, on a stack of its own): v1.4.0 walks 5 → 25 → 50 → 100 on real requests,
and a 3× slower v1.5.0 is switched back at 5%. Prints progress as it happens and a summary; exits 0 only
if every outcome was right.
  --time-scale  run on a wall clock sped up this many times (e.g. 600: 10 min = 1 s) to watch it
                unfold; by default time is virtual and jumps ahead whenever nothing is running
  --interactive wait for a person to approve each production region from the mailbox (/mail) in a
                browser, on a wall clock sped up 600 times unless --time-scale says otherwise
  --port        with --interactive, the port of the dashboard and mailbox (default 8787)
  --no-canary   leave out the production canary (its two releases send about 20,000 real requests
                through the local load balancer: a few seconds to a minute, by how busy the machine is)`;

const EVENTS_DIR = join(__dirname, '..', 'events');
const BROKEN_COMMIT = 'badc0ffee0ddf00d';
/** A build that ships a migration PostgreSQL refuses (as `--break dbadd1e=migration` would). */
const BAD_MIGRATION_COMMIT = 'dbadd1e5c0ffee0d';

interface Scene {
  title: string;
  event: string;
  expect: (decision: StartDecision | undefined) => string | undefined;
}

export async function demoCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      'time-scale': { type: 'string' },
      interactive: { type: 'boolean', default: false },
      port: { type: 'string', default: '8787' },
      'no-canary': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const interactive = values.interactive;
  const scale =
    values['time-scale'] === undefined ? (interactive ? 600 : undefined) : Number(values['time-scale']);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port}"`);
  if (scale !== undefined && !(scale > 0))
    throw new UsageError(`--time-scale must be a positive number, got "${values['time-scale']}"`);
  const config = withSampleMigrations(loadConfigFile(values.config));
  // Virtual time by default: the day plays out in about a second, with exact pipeline timings. A person
  // approving needs a wall clock (virtual time would jump straight to the approval's expiry).
  // The day starts when its first event happened (events/*.json carry their times), so the delivery
  // metrics at the end measure the day, not the days between the sample events and this run.
  const dayStart = Date.parse(String(loadEventFile('ecr-push-orders-api.json').time));
  const clock: Clock =
    scale === undefined ? new AutoAdvanceClock(dayStart) : new ScaledClock(scale, dayStart);
  const pipelineStart = clock.now();
  const realStart = Date.now();

  const pipeline = await LocalPipeline.start({
    config,
    clock,
    behaviours: {
      [BROKEN_COMMIT]: { failsHealthCheck: true },
      [BAD_MIGRATION_COMMIT]: { breaksMigration: true },
    },
    // orders-api migrates its database: the sample service's migrations, as real processes against a
    // real PostgreSQL (PGlite) per environment/region.
    migrationRunner: 'sample-service',
    // Approvals go through the real emails, links and pages: an approver clicks each Approve link over
    // HTTP, or, with --interactive, a person does in a browser.
    approvals: 'email',
    clickApprovalLinks: !interactive,
  });
  // The databases start while the first events play (a PGlite start is about a second of CPU, in a worker
  // thread): the migrations then find them ready.
  for (const stage of allStages(config).filter((s) => s.migrations))
    pipeline.databases?.database(stage).catch(() => undefined);
  const http = await serveLocalPipeline(pipeline, interactive ? port : 0);
  const { url } = http;
  await pipeline.fleet.serve(); // every environment/region is a real HTTP server the smoke checks call
  out(`Local stack on ${url} (dashboard /, approval emails /mail)`);
  if (interactive)
    out(
      `Open ${url}/mail in a browser: each production region waits until you open its approval email, ` +
        'follow the Approve link and press the button.',
    );
  const stopProgress = followProgress(pipeline, clock, out);
  const problems: string[] = [];
  const outcomes: { scene: string; result: string }[] = [];
  try {
    const scenes: Scene[] = [
      {
        title: 'A merge to main pushes orders-api:sha-4b825dc',
        event: 'ecr-push-orders-api.json',
        expect: started,
      },
      {
        title: 'EventBridge delivers the same push again',
        event: 'ecr-push-orders-api.json',
        expect: notStarted,
      },
      { title: 'payments-api:sha-9fceb02 is pushed', event: 'ecr-push-payments-api.json', expect: started },
      { title: 'Someone pushes orders-api:latest', event: 'ecr-push-latest-tag.json', expect: notStarted },
      {
        title:
          'A release manager tags v1.4.0 on commit 4b825dc: staging, then 3 production regions after approval',
        event: 'git-tag-orders-api-v1.4.0.json',
        expect: started,
      },
      {
        title: 'A broken build pushes orders-api:sha-badc0ff',
        event: 'ecr-push-orders-api-broken.json',
        expect: started,
      },
      {
        title: 'A build with a migration PostgreSQL refuses pushes orders-api:sha-dbadd1e',
        event: 'ecr-push-orders-api-bad-migration.json',
        expect: started,
      },
    ];
    for (const scene of scenes) {
      out(`\n▶ ${scene.title}  (events/${scene.event})`);
      const event = JSON.parse(readFileSync(join(EVENTS_DIR, scene.event), 'utf8')) as { time?: unknown };
      // On virtual time, each event happens at its own time (the tag an hour after the push).
      const at = Date.parse(String(event.time));
      if (scale === undefined && at > clock.now()) await clock.sleep(at - clock.now());
      const routed = await pipeline.putEvent(event);
      const decision = routed.deliveries[0]?.result as StartDecision | undefined;
      const result = decision?.started
        ? `started ${decision.name}`
        : `nothing started: ${decision?.reason ?? 'no rule matches (only sha-* pushes deploy)'}`;
      out(`  ${result}`);
      outcomes.push({ scene: scene.title, result });
      const problem = scene.expect(decision);
      if (problem) problems.push(`${scene.title}: ${problem}`);
      await pipeline.settled();
    }
  } finally {
    stopProgress();
  }

  const executions = (await pipeline.engine.listExecutions({})).executions;
  const statuses = await Promise.all(
    executions.map(async (e) => {
      const d = await pipeline.engine.describeExecution({ executionArn: e.executionArn });
      return {
        name: e.name,
        status: d.status,
        transitions: d.stateTransitions,
        cause: d.cause,
        input: JSON.parse(d.input) as Promotion,
      };
    }),
  );
  out('\nExecutions');
  out(
    table(
      [
        ['execution', 'status', 'transitions'],
        ...statuses.map((s) => [s.name, s.status, String(s.transitions)]),
      ],
      '  ',
    ),
  );

  out('\nWhat runs where');
  const rows = [['service', 'environment', 'region', 'commit', 'version', 'digest']];
  const running = new Map<string, string>();
  for (const stage of allStages(config)) {
    const container = pipeline.platform.serving(stage)?.containers.find((c) => c.name === stage.container);
    const commit = container?.environment[DEPLOYED_ENV.commit] ?? '(initial)';
    running.set(
      `${stage.service} ${stage.environment} ${stage.region}`,
      `${commit} ${container?.environment[DEPLOYED_ENV.version] ?? ''}`,
    );
    const digest = container?.image.split('@')[1];
    rows.push([
      stage.service,
      stage.environment,
      stage.region,
      commit.slice(0, 12),
      container?.environment[DEPLOYED_ENV.version]?.slice(0, 16) ?? '-',
      digest ? shortSha(digest) : '-',
    ]);
  }
  out(table(rows, '  '));

  // The outcomes the demo promises.
  const broken = statuses.find((s) => s.input.commit.startsWith(BROKEN_COMMIT));
  if (statuses.filter((s) => s.status === 'SUCCEEDED').length !== 3)
    problems.push('expected 2 successful promotions and 1 successful release');
  const badMigration = statuses.find((s) => s.input.commit.startsWith(BAD_MIGRATION_COMMIT));
  if (badMigration?.status !== 'FAILED' || !badMigration.cause?.includes('nothing was deployed'))
    problems.push(
      `expected the build with the failing migration to stop before deploying, got ${badMigration?.status ?? 'no execution'}`,
    );
  if (broken?.status !== 'FAILED' || !broken.cause?.includes('rolled back'))
    problems.push(`expected the broken build to be rolled back, got ${broken?.status ?? 'no execution'}`);
  if (!running.get('orders-api ppe eu-west-1')?.startsWith('4b825dc'))
    problems.push('expected orders-api PPE to run 4b825dc after the rollback');
  if (!running.get('payments-api ppe eu-west-1')?.startsWith('9fceb02'))
    problems.push('expected payments-api PPE to run 9fceb02');
  for (const where of ['staging eu-west-1', 'prod eu-west-1', 'prod us-east-1', 'prod ap-southeast-2'])
    if (!running.get(`orders-api ${where}`)?.endsWith('v1.4.0'))
      problems.push(`expected orders-api ${where} to run v1.4.0`);
  const clicked = pipeline.emailApprover?.clicked ?? [];
  const emails = pipeline.mailbox.list();
  const regions = [...new Set(emails.map((m) => m.subject.replace(/^Approve /, '').replace(/\?$/, '')))];
  const approvedBy = interactive
    ? 'approved by you in the browser'
    : `${clicked.filter((c) => c.status === 200).length} approved by clicking the emailed link and confirming on the approval page`;
  out(`\nApprovals: ${emails.length} approval emails sent; ${approvedBy} (${regions.join('; ')}).`);
  if (!interactive && clicked.filter((c) => c.status === 200).length !== 3)
    problems.push('expected 3 approvals through the emailed links');
  if (broken?.cause) out(`\nWhy the broken build was rolled back:\n  ${readableCause(broken.cause)}`);
  problems.push(...(await showMigrations(pipeline, config, out)));
  if (badMigration?.cause)
    out(`\nWhy the build with the failing migration never deployed:\n  ${readableCause(badMigration.cause)}`);
  // The day's delivery metrics, from the records it wrote (docs/metrics.md): a whole day ending now, so
  // "per day" counts the day's deployments instead of stretching a few hours of them over 24.
  const window = { from: clock.now() - DAY_MS, to: clock.now() };
  const day = await readDeliveryMetrics(config, { window }, pipeline);
  out(`\nThe day's delivery metrics (pipeline metrics --local shows the same on a running stack):`);
  out(metricsTables(day.filter((m) => m.deployments.total > 0)));

  await pipeline.close();
  await http.close();
  const canary = !values['no-canary'];
  if (canary) problems.push(...(await playProductionCanary(values.config, out)));
  out(
    `\nDemo finished in ${duration(Date.now() - realStart)} of real time (${duration(clock.now() - pipelineStart)} of pipeline time).`,
  );
  if (problems.length > 0) {
    out(`\nDEMO FAILED:\n${problems.map((p) => `  ✗ ${p}`).join('\n')}`);
    return 1;
  }
  out(
    'All expected outcomes happened: 2 pushes deployed to PPE, a duplicate and a `latest` push ignored, ' +
      'v1.4.0 released to staging and 3 production regions (each database migrated first, production ' +
      'after approval), a broken build rolled back, a build whose migration failed stopped before deploying' +
      (canary
        ? ', and a production canary that walked v1.4.0 through 5 → 25 → 50 → 100 and switched a 3× slower v1.5.0 back at 5%.'
        : '.'),
  );
  return 0;
}

/** The demo's orders-api migrates its database with the sample service's migrations, unless the config says otherwise. */
function withSampleMigrations(config: PipelineConfig): PipelineConfig {
  return {
    ...config,
    services: config.services.map((service) =>
      service.name === 'orders-api' && !service.migrations
        ? {
            ...service,
            migrations: {
              command: [...SAMPLE_SERVICE_MIGRATIONS.command],
              planCommand: [...SAMPLE_SERVICE_MIGRATIONS.planCommand],
              // A real process against a real database: an hour, so a demo on a sped-up wall clock
              // (--time-scale 1000: 3.6 s of real time) does not time out on a busy machine.
              timeoutMinutes: 60,
            },
          }
        : service,
    ),
  };
}

/** What migrated where (the migration records), and what the databases hold now; the problems seen. */
async function showMigrations(
  pipeline: LocalPipeline,
  config: PipelineConfig,
  out: (text: string) => void,
): Promise<string[]> {
  const records = (await Promise.all(config.services.map((s) => pipeline.migrations.history(s.name)))).flat();
  const ran = records.filter((r) => r.kind === 'migrate').sort((a, b) => a.startedAt - b.startedAt);
  if (ran.length === 0) return [];
  out('\nMigrations (a one-off task of the new revision before each deploy; production after approval)');
  const rows = [['service', 'environment', 'region', 'version', 'outcome', 'took', 'last line']];
  for (const r of ran)
    rows.push([
      r.service,
      r.environment,
      r.region,
      r.version.slice(0, 16),
      r.outcome,
      duration(r.endedAt - r.startedAt),
      (r.output.at(-1) ?? '').slice(0, 60),
    ]);
  out(table(rows, '  '));
  const problems: string[] = [];
  for (const where of ['staging eu-west-1', 'prod eu-west-1', 'prod us-east-1', 'prod ap-southeast-2']) {
    const [environment, region] = where.split(' ') as [string, string];
    const db = await pipeline.databases?.database({ service: 'orders-api', environment, region });
    const columns = await db?.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'",
    );
    if (!columns?.some((c) => c.column_name === 'total_cents'))
      problems.push(`expected the orders-api database in ${where} to be migrated (orders.total_cents)`);
  }
  return problems;
}

function loadEventFile(file: string): { time?: unknown } {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as { time?: unknown };
}

function started(decision: StartDecision | undefined): string | undefined {
  return decision?.started ? undefined : 'expected an execution to start';
}

function notStarted(decision: StartDecision | undefined): string | undefined {
  return decision?.started ? `expected nothing to start, but ${decision.name} started` : undefined;
}

/** Prints each stage step as it starts and ends, in pipeline time. */
function followProgress(pipeline: LocalPipeline, clock: Clock, out: (text: string) => void): () => void {
  const origin = clock.now();
  const executions = new Map<
    string,
    {
      label: string;
      stages: Promotion['stages'];
      stage?: number;
      entered: Map<string, number>;
      failed: Set<string>;
    }
  >();
  const at = () => {
    const s = Math.round((clock.now() - origin) / 1000);
    return `+${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  return pipeline.engine.onEvent((event: LiveHistoryEvent) => {
    if (event.type === 'ExecutionStarted') {
      const input = JSON.parse(
        String(event.details.input ? JSON.stringify(event.details.input) : '{}'),
      ) as Promotion;
      executions.set(event.executionArn, {
        label: `${input.service} ${input.version.slice(0, 11)}`,
        stages: input.stages ?? [],
        entered: new Map(),
        failed: new Set(),
      });
      return;
    }
    const run = executions.get(event.executionArn);
    if (!run) return;
    if (event.type === 'MapIterationStarted') run.stage = event.details.index;
    const stage = run.stage !== undefined ? run.stages[run.stage] : undefined;
    const where = stage ? `${stage.environment}/${stage.region}` : '';
    const name = event.details.name ?? '';
    if (event.type === 'TaskStateEntered' || event.type === 'WaitStateEntered')
      run.entered.set(name, clock.now());
    if (event.type === 'TaskScheduled') run.failed.delete(name);
    if ((event.type === 'TaskStateExited' || event.type === 'WaitStateExited') && !run.failed.has(name)) {
      const took = clock.now() - (run.entered.get(name) ?? clock.now());
      out(`  ${at()}  ${run.label}  ${where}  ✓ ${name} (${duration(took)})`);
    }
    if (event.type === 'TaskFailed' || event.type === 'TaskTimedOut') run.failed.add(name);
    if (event.type === 'TaskFailed')
      out(`  ${at()}  ${run.label}  ${where}  ✗ ${name || 'step'} failed: ${event.details.error}`);
    if (event.type === 'ExecutionSucceeded') out(`  ${at()}  ${run.label}  succeeded`);
    if (event.type === 'ExecutionFailed')
      out(`  ${at()}  ${run.label}  promotion failed: ${event.details.error}`);
  });
}
