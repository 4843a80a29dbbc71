import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalDatabase } from '../../local-runtime/adapters/local-databases';
import { SAMPLE_SERVICE_MIGRATIONS } from '../../local-runtime/adapters/sample-service-migrations';
import { serveLocalPipeline } from '../../local-runtime/local-http-server';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { parseConfig } from '../../shared/config/config.loader';
import type { EcsTarget } from '../../shared/ports/deployment';
import { runCli } from '../support/cli';
import { loadEvent } from '../support/fixtures';
import { GOOD_COMMIT, PROD_REGIONS, prod, STAGING } from '../support/orders-api';

/**
 * The real thing end to end: the stage state machine, executed by the local runtime with the real
 * handlers, starts migration tasks that run the sample service's migrate command (node-pg-migrate) as
 * child processes against real PostgreSQL databases (PGlite), one per environment/region. The tests look
 * at the schemas themselves.
 */
const ROOT = join(__dirname, '..', '..');

const RELEASED = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@${loadEvent('ecr-push-orders-api.json').detail['image-digest'] as string}`;
const MIGRATIONS = ['1764547200000_create-orders', '1764633600000_add-order-total'];
const PPE: EcsTarget = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };

/** The sample configuration, with orders-api migrating through the sample service's commands. */
function config() {
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8').replace(
    '    gitRepository: example-org/orders-api\n',
    '    gitRepository: example-org/orders-api\n' +
      '    migrations:\n' +
      `      command: ${JSON.stringify(SAMPLE_SERVICE_MIGRATIONS.command)}\n` +
      `      planCommand: ${JSON.stringify(SAMPLE_SERVICE_MIGRATIONS.planCommand)}\n` +
      '      timeoutMinutes: 10\n',
  );
  return parseConfig(text, 'pipeline.config.yml');
}

let pipeline: LocalPipeline | undefined;

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), migrationRunner: 'sample-service', ...options });
  return pipeline;
}

async function deliver(sample: string): Promise<void> {
  await pipeline!.putEvent(loadEvent(sample));
  await pipeline!.settled();
}

async function onlyExecution(kind: 'promote' | 'release') {
  const { executions } = await pipeline!.engine.listExecutions({
    stateMachineArn: pipeline!.stateMachineArns[kind],
  });
  expect(executions).toHaveLength(1);
  return pipeline!.engine.describeExecution({ executionArn: executions[0]!.executionArn });
}

const database = (environment: string, region: string): Promise<LocalDatabase> =>
  pipeline!.databases!.database({ service: 'orders-api', environment, region });

/** The migrations node-pg-migrate recorded, or undefined when it never ran there. */
async function applied(db: LocalDatabase): Promise<string[] | undefined> {
  const [table] = await db.query<{ t: string | null }>(
    "SELECT to_regclass('public.pgmigrations')::text AS t",
  );
  if (!table?.t) return undefined;
  return (await db.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id')).map((r) => r.name);
}

async function columns(db: LocalDatabase, table: string): Promise<string[]> {
  const rows = await db.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return rows.map((r) => r.column_name);
}

/** What `pipeline show <execution> --local` prints for it. */
async function show(execution: string): Promise<string> {
  const http = await serveLocalPipeline(pipeline!, 0);
  try {
    const { code, out, err } = await runCli('show', execution, '--local', '--url', http.url);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    return out;
  } finally {
    await http.close();
  }
}

const servingImage = (target: EcsTarget) =>
  pipeline!.platform.serving(target)?.containers.find((c) => c.name === 'app')?.image;

afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

// Real processes and real databases (a PGlite start is about a second of CPU): slower than the other flow
// tests, on a loaded machine much more so. Only the first test releases to every region.
jest.setTimeout(400_000);

describe('migrations against real PostgreSQL databases, through the stage state machine', () => {
  it('when a release migrates, each environment/region database really changes: staging without approval, production after an approval that shows the SQL', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    expect((await onlyExecution('release')).status).toBe('SUCCEEDED');
    for (const [environment, region] of [
      ['ppe', 'eu-west-1'],
      ['staging', 'eu-west-1'],
      ...PROD_REGIONS.map((r) => ['prod', r]),
    ] as const) {
      const db = await database(environment, region);
      expect(await applied(db)).toEqual(MIGRATIONS);
      expect(await columns(db, 'orders')).toEqual(['id', 'customer', 'placed_at', 'total_cents']);
      expect(await db.query('SELECT customer FROM orders ORDER BY id')).toHaveLength(3);
    }
    for (const target of [STAGING, ...PROD_REGIONS.map(prod)]) expect(servingImage(target)).toBe(RELEASED);
    // Only production asked: each region's approvers saw the migrations' SQL before anything ran there.
    expect(pipeline!.approvals.requests.map((r) => `${r.environment}/${r.region}`)).toEqual(
      PROD_REGIONS.map((r) => `prod/${r}`),
    );
    for (const request of pipeline!.approvals.requests) {
      const evidence = request.evidence as Record<string, string>;
      const plan =
        evidence[`migrations to apply in prod/${request.region} (approving migrates, then deploys)`];
      expect(plan).toContain('2 migrations to apply:');
      expect(plan).toContain(
        '1764633600000_add-order-total: ALTER TABLE orders ADD COLUMN total_cents bigint;',
      );
    }
    // The records say what ran where, how long it took (real processes hold pipeline time still) and what it printed.
    const history = await pipeline!.migrations.history('orders-api');
    const staging = history.find((h) => h.kind === 'migrate' && h.environment === 'staging');
    expect(staging).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(staging!.output.join('\n')).toContain('migrated: 2 applied');
  });

  it('when a build ships a failing migration (--break <commit>=migration), PostgreSQL refuses it, the stage fails with the cause and nothing deploys or changes', async () => {
    // Prepare
    await start({ behaviours: { [GOOD_COMMIT.slice(0, 7)]: { breaksMigration: true } } });

    // Act
    await deliver('ecr-push-orders-api.json');

    // Assess
    const promotion = await onlyExecution('promote');
    expect(promotion.status).toBe('FAILED');
    expect(promotion.error).toBe('MigrationFailed');
    const cause = (JSON.parse(promotion.cause!) as { errorMessage: string }).errorMessage;
    expect(cause).toContain('migration in ppe/eu-west-1 exited with code 1');
    expect(cause).toContain('column "currency" of relation "orders" contains null values');
    expect(cause).toContain('nothing was deployed');
    expect(servingImage(PPE)).not.toBe(RELEASED);
    expect(pipeline!.platform.calls.filter((c) => c.method === 'updateService')).toEqual([]);
    // One transaction: the migrations before the failing one were rolled back with it.
    const ppe = await database('ppe', 'eu-west-1');
    expect(await applied(ppe)).toEqual([]);
    expect(await columns(ppe, 'orders')).toEqual([]);
    // The operator sees which migration failed where, when, after how long, and why.
    expect(await show(promotion.name)).toMatch(
      /migrations: failed \(MigrationFailed\) \S+Z in 30s: migrate: failed, nothing applied: column "currency" of relation "orders" contains null values/,
    );
  });

  it('when a migration failed on a conflicting table and an operator drops it, a redrive migrates and deploys', async () => {
    // Prepare: someone created an orders table by hand in PPE
    await start();
    const ppe = await database('ppe', 'eu-west-1');
    await ppe.query('CREATE TABLE orders (id int)');
    await deliver('ecr-push-orders-api.json');
    const failed = await onlyExecution('promote');
    expect(failed.error).toBe('MigrationFailed');
    expect(failed.cause).toContain('relation \\"orders\\" already exists');
    await ppe.query('DROP TABLE orders');

    // Act
    await pipeline!.engine.redriveExecution({ executionArn: failed.executionArn });
    await pipeline!.settled();

    // Assess
    expect(await onlyExecution('promote')).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(await applied(ppe)).toEqual(MIGRATIONS);
    expect(await columns(ppe, 'orders')).toContain('total_cents');
    expect(servingImage(PPE)).toBe(RELEASED);
    const shown = await show(failed.name);
    expect(shown).toMatch(
      /migrations: failed \(MigrationFailed\) \S+Z in 30s: .*relation "orders" already exists/,
    );
    expect(shown).toMatch(
      /migrations: migrated \S+Z in 30s: migrated: 2 applied \(1764547200000_create-orders/,
    );
  });

  it('when a stage rolls back after its migration, its schema stays migrated: no down-migration runs', async () => {
    // Prepare
    await start({ behaviours: { [GOOD_COMMIT.slice(0, 9)]: { failsHealthCheck: true } } });

    // Act
    await deliver('ecr-push-orders-api.json');

    // Assess
    const promotion = await onlyExecution('promote');
    expect(promotion.error).toBe('SmokeTestFailed');
    expect(promotion.cause).toContain('rolled back');
    expect(servingImage(PPE)).not.toBe(RELEASED);
    const ppe = await database('ppe', 'eu-west-1');
    expect(await applied(ppe)).toEqual(MIGRATIONS);
    expect(await columns(ppe, 'orders')).toContain('total_cents');
  });
});
