import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  LocalMigrationContext,
  LocalMigrationResult,
} from '../../local-runtime/adapters/local-migrations';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { parseConfig } from '../../shared/config/config.loader';
import { AwsTransientError } from '../../shared/domain/errors';
import type { EcsTarget } from '../../shared/ports/deployment';
import { migrationRuns } from '../../shared/operations/migration-view';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { loadEvent } from '../support/fixtures';
import { expectMigrationStopped } from '../support/migration-task';
import { GOOD_COMMIT, GOOD_DIGEST, PROD_REGIONS, prod, REGISTRY, STAGING } from '../support/orders-api';

/**
 * "Plan migrations" and "Run migrations" in the real stage definition, executed by the local runtime with
 * the real handlers, DynamoDB adapters (dynalite) and the local one-off tasks: the migration commands run
 * through a runner that keeps a schema per environment/region, so what ran where (and what did not) shows.
 */
const ROOT = join(__dirname, '..', '..');

const RELEASED = `${REGISTRY}/orders-api@${GOOD_DIGEST}`;

/** The sample configuration with migrations for orders-api (its plan shown to production approvers). */
function config(timeoutMinutes = 10) {
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8').replace(
    '    gitRepository: example-org/orders-api\n',
    '    gitRepository: example-org/orders-api\n' +
      '    migrations:\n' +
      '      command: [npm, run, migrate]\n' +
      '      planCommand: [npm, run, migrate:plan]\n' +
      `      timeoutMinutes: ${timeoutMinutes}\n` +
      '      taskRoles: [orders-api-prod-task, orders-api-prod-execution]\n',
  );
  return parseConfig(text, 'pipeline.config.yml');
}

interface Ran {
  stage: string;
  kind: 'plan' | 'migrate';
  command: string[];
  /** What the service served when the task ran: nothing moves before the migration. */
  serving: string | undefined;
}

let pipeline: LocalPipeline;
let ran: Ran[];
/** Migrations applied per `environment/region`: the schema of each local database. */
let schema: Map<string, string[]>;
/** How a stage's task behaves instead of succeeding (by `environment/region`). */
let misbehave: Map<string, Partial<LocalMigrationResult>>;

async function runner(context: LocalMigrationContext): Promise<LocalMigrationResult> {
  const stage = context.environment[DEPLOYED_ENV.stage]!;
  const kind = context.command.includes('migrate:plan') ? 'plan' : 'migrate';
  const serving = pipeline.platform.serving(context.target)?.containers.find((c) => c.name === 'app')?.image;
  ran.push({ stage, kind, command: context.command, serving });
  const applied = schema.get(stage) ?? [];
  const pending = ['002_add_order_total'].filter((m) => !applied.includes(m));
  if (kind === 'plan') return { exitCode: 0, output: pending.map((m) => `pending: ${m}`) };
  const override = misbehave.get(stage);
  if (override) return { exitCode: 1, output: [], ...override };
  schema.set(stage, [...applied, ...pending]);
  return { exitCode: 0, output: [...pending.map((m) => `migrating ${m}`), 'migrations complete'] };
}

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), migrationRunner: runner, ...options });
  return pipeline;
}

async function deliver(sample: string): Promise<void> {
  await pipeline.putEvent(loadEvent(sample));
  await pipeline.settled();
}

async function onlyRelease() {
  const { executions } = await pipeline.engine.listExecutions({
    stateMachineArn: pipeline.stateMachineArns.release,
  });
  expect(executions).toHaveLength(1);
  return pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
}

const servingImage = (target: EcsTarget) =>
  pipeline.platform.serving(target)?.containers.find((c) => c.name === 'app')?.image;
const migrated = (stage: string) => ran.filter((r) => r.stage === stage && r.kind === 'migrate');

beforeEach(() => {
  ran = [];
  schema = new Map();
  misbehave = new Map();
});
afterEach(async () => {
  await pipeline?.close();
});

describe('migrations in the stage state machine, executed locally', () => {
  it('when a release migrates, staging migrates without approval and each production region after an approval that shows the plan', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('SUCCEEDED');
    const stages = ['staging/eu-west-1', ...PROD_REGIONS.map((r) => `prod/${r}`)];
    for (const stage of stages) {
      expect(migrated(stage)).toHaveLength(1);
      // The task ran before the deploy: the service still served the bootstrap image.
      expect(migrated(stage)[0]!.serving).not.toBe(RELEASED);
      expect(schema.get(stage)).toEqual(['002_add_order_total']);
    }
    for (const target of [STAGING, ...PROD_REGIONS.map(prod)]) expect(servingImage(target)).toBe(RELEASED);
    // Staging asked nobody; every production region planned first and showed the plan to its approvers.
    expect(ran.filter((r) => r.kind === 'plan').map((r) => r.stage)).toEqual(
      PROD_REGIONS.map((r) => `prod/${r}`),
    );
    expect(pipeline.approvals.requests.map((r) => `${r.environment}/${r.region}`)).toEqual(
      PROD_REGIONS.map((r) => `prod/${r}`),
    );
    for (const request of pipeline.approvals.requests) {
      const evidence = request.evidence as Record<string, string>;
      const key = `migrations to apply in prod/${request.region} (approving migrates, then deploys)`;
      expect(evidence[key]).toBe('pending: 002_add_order_total');
      // The request asks to migrate and deploy, not only to deploy.
      expect(request.migrates).toBe(true);
    }
    // The records say what ran where, when and for how long.
    const history = await pipeline.migrations.history('orders-api');
    const migrations = history.filter((h) => h.kind === 'migrate' && h.outcome === 'succeeded');
    expect(migrations.map((m) => `${m.environment}/${m.region}`).sort()).toEqual(
      [...stages, 'ppe/eu-west-1'].sort(),
    );
    for (const m of migrations) expect(m.endedAt - m.startedAt).toBe(30_000);
  });

  it('when the staging migration fails, the stage fails before anything deploys, with the exit code and the log lines', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    misbehave.set('staging/eu-west-1', {
      exitCode: 3,
      output: ['migrating 002_add_order_total', 'ERROR: column "total" of relation "orders" already exists'],
    });

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('MigrationFailed');
    const cause = (JSON.parse(release.cause!) as { errorMessage: string }).errorMessage;
    expect(cause).toContain('migration in staging/eu-west-1 exited with code 3');
    expect(cause).toContain('EssentialContainerExited');
    expect(cause).toContain('ERROR: column "total" of relation "orders" already exists');
    expect(cause).toContain('nothing was deployed');
    expect(cause).toContain('nothing to roll back');
    expect(servingImage(STAGING)).not.toBe(RELEASED);
    expect(
      pipeline.platform.calls.filter(
        (c) => c.method === 'updateService' && (c.args[0] as EcsTarget).cluster !== 'ppe',
      ),
    ).toEqual([]);
    expect(pipeline.approvals.requests).toEqual([]);
  });

  it('when an operator looks at a release, its history says which migrations ran where, when, how long, and which failed', async () => {
    // Prepare: us-east-1's migration fails
    await start();
    await deliver('ecr-push-orders-api.json');
    misbehave.set('prod/us-east-1', { exitCode: 2, output: ['ERROR: deadlock detected'] });
    await deliver('git-tag-orders-api-v1.4.0.json');
    const release = await onlyRelease();
    const plan = JSON.parse(release.input) as { stages: { environment: string; region: string }[] };

    // Act
    const runs = migrationRuns((await pipeline.engine.getExecutionHistory(release)).events);

    // Assess
    expect(
      runs.map((r) => ({
        where: `${plan.stages[r.stage]!.environment}/${plan.stages[r.stage]!.region}`,
        ...r,
      })),
    ).toEqual([
      expect.objectContaining({
        where: 'staging/eu-west-1',
        outcome: 'migrated',
        lastLine: 'migrations complete',
      }),
      expect.objectContaining({
        where: 'prod/eu-west-1',
        outcome: 'migrated',
        lastLine: 'migrations complete',
      }),
      expect.objectContaining({
        where: 'prod/us-east-1',
        outcome: 'failed',
        error: 'MigrationFailed',
        lastLine: 'ERROR: deadlock detected',
      }),
    ]);
    for (const run of runs) expect(run.endedAt! - run.startedAt).toBe(30_000);
  });

  it('when the migration outlasts its timeout, the stage fails with what timed out and nothing deploys', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    misbehave.set('staging/eu-west-1', { hangs: true });

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('MigrationTimedOut');
    expect(release.cause).toContain('migration task in staging/eu-west-1 did not finish within 600 seconds');
    expect(servingImage(STAGING)).not.toBe(RELEASED);
    // The timeout path stopped the task it started (it would go on migrating with nobody waiting).
    const [started] = pipeline.migrationTasks.started.filter((t) => t.startedBy.includes('/staging/'));
    expect(release.cause).toContain(`the pipeline stopped task ${started!.taskArn}`);
    await expectMigrationStopped(pipeline, {
      target: STAGING,
      environment: 'staging',
      taskArn: started!.taskArn,
      stopCode: 'UserInitiated',
      stoppedReason: 'migration step timed out after 600 s',
      outcome: 'timed-out',
      reason: 'timed out, stopped',
    });
    expect(await pipeline.migrations.waiters()).toEqual([]);
  });

  it('when the database is fixed after a failed migration, a redrive migrates and completes the release', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    misbehave.set('staging/eu-west-1', { exitCode: 1, output: ['ERROR: lock timeout'] });
    await deliver('git-tag-orders-api-v1.4.0.json');
    const failed = await onlyRelease();
    expect(failed.error).toBe('MigrationFailed');
    misbehave.clear();

    // Act
    await pipeline.engine.redriveExecution({ executionArn: failed.executionArn });
    await pipeline.settled();

    // Assess
    expect(await onlyRelease()).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(migrated('staging/eu-west-1')).toHaveLength(2);
    expect(schema.get('staging/eu-west-1')).toEqual(['002_add_order_total']);
    expect(servingImage(STAGING)).toBe(RELEASED);
  });

  it('when the step is retried after ECS started its task (the Lambda failed), it finds that task instead of starting a second', async () => {
    // Prepare: the first RunTask of each stage starts the task, then the call fails as a dropped connection would
    await start();
    const tasks = pipeline.migrationTasks;
    const runTask = tasks.runTask.bind(tasks);
    const failedOnce = new Set<string>();
    tasks.runTask = async (request) => {
      const task = await runTask(request);
      if (failedOnce.has(request.startedBy)) return task;
      failedOnce.add(request.startedBy);
      throw new AwsTransientError('ECS RunTask: the connection was reset after the task started');
    };

    // Act
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    expect((await onlyRelease()).status).toBe('SUCCEEDED');
    const started = tasks.started.map((t) => t.startedBy);
    expect(new Set(started).size).toBe(started.length);
    expect(migrated('staging/eu-west-1')).toHaveLength(1);
    expect(failedOnce.size).toBe(started.length);
  });

  it('when a production region rolls back after its migration, the schema stays migrated and no down-migration runs', async () => {
    // Prepare
    await start({
      behaviours: {
        [GOOD_COMMIT.slice(0, 9)]: {
          failsHealthCheck: true,
          only: [{ region: 'us-east-1', cluster: 'prod' }],
        },
      },
    });
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('SmokeTestFailed');
    expect(release.cause).toContain('rolled back');
    expect(servingImage(prod('us-east-1'))).not.toBe(RELEASED);
    expect(schema.get('prod/us-east-1')).toEqual(['002_add_order_total']);
    expect(
      ran.every(
        (r) => r.command.join(' ') === 'npm run migrate' || r.command.join(' ') === 'npm run migrate:plan',
      ),
    ).toBe(true);
    expect(migrated('prod/us-east-1')).toHaveLength(1);
  });
});
